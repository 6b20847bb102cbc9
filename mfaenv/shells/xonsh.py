"""xonsh: one plain-Python expression, run by Python's own `exec`.

Not `execx`: on a syntax error, xonsh retries a line as a command, so output
cut short could run as one; Python's `exec` only raises.
"""

from __future__ import annotations

from mfaenv.plan import EnvChange
from mfaenv.shells.base import PLAIN, Shell, check_name, check_value, is_plain


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
        # A Python expression for `value`: PLAIN characters as is, every
        # other one as `\xHH`, so the text is ASCII (whatever $XONSH_ENCODING
        # says) and holds no quote or backslash pair another shell could read.
        if is_plain(value):
            return f"'{value}'"
        if value.isascii():
            return "'" + "".join(c if c in PLAIN else f"\\x{ord(c):02x}" for c in value) + "'"
        # Python encodes the environment in the locale's charset: '丁' would
        # reach a child as GBK under zh_CN.GBK, and an emoji there raises
        # UnicodeEncodeError on every later command. fsdecode of the UTF-8
        # bytes gives the str that fsencode turns back into exactly them.
        data = "".join(chr(b) if chr(b) in PLAIN else f"\\x{b:02x}" for b in value.encode())
        return f"__import__('os').fsdecode(b'{data}')"
