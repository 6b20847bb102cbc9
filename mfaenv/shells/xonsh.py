"""xonsh: one plain-Python expression, run by Python's own `exec`.

Not `execx`: on a syntax error, xonsh retries a line as a command, so output
cut short could run as one; Python's `exec` only raises.
"""

from __future__ import annotations

from mfaenv.plan import EnvChange
from mfaenv.shells.base import Shell, check_name, check_value


class Xonsh(Shell):
    name = "xonsh"
    eval_usage = "exec($({cmd}))"

    def render(self, change: EnvChange) -> str:
        # One parenthesized expression, not a statement per variable: xonsh's
        # `$(...)` capture can lose output, and cut short anywhere it is a
        # syntax error that applies nothing, never half. (A bare tuple trips
        # xonsh 0.13's execx, which users may still use.) The tuple runs left
        # to right, so stale variables go first. `${...}` is __xonsh__.env.
        unset = "".join(f"{check_name(k)!r}, " for k in change.unset)
        items = ", ".join(f"{check_name(k)!r}: {self.quote(check_value(k, v, self))}" for k, v in change.set)
        return f"([__xonsh__.env.pop(n, None) for n in ({unset})], __xonsh__.env.update({{{items}}}))\n"

    def quote(self, value: str) -> str:
        # A Python literal that evaluates to exactly `value`; ascii(), not
        # repr(), so the output is ASCII whatever $XONSH_ENCODING says.
        return ascii(value)
