"""xonsh: Python statements run by `execx`."""

from __future__ import annotations

from mfaenv.shells.base import Shell


class Xonsh(Shell):
    name = "xonsh"
    eval_usage = "execx($({cmd}))"

    def quote(self, value: str) -> str:
        return repr(value)  # a Python literal that evaluates to exactly `value`

    def set_line(self, name: str, quoted: str) -> str:
        return f"${name} = {quoted}"

    def unset_line(self, name: str) -> str:
        return f"${{...}}.pop({name!r}, None)"
