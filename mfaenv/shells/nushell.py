"""nushell: a JSON record for `from json | load-env`."""

from __future__ import annotations

from mfaenv.plan import EnvChange
from mfaenv.shells.base import PLAIN, Shell, check_name, check_value


class Nushell(Shell):
    name = "nu"
    eval_usage = "{cmd} | from json | load-env"

    def render(self, change: EnvChange) -> str:
        # Data, not code. A variable to remove maps to null: nu keeps it as
        # $nothing, and passes it to no child process.
        items = [f'"{check_name(k)}": null' for k in change.unset]
        items += [f'"{check_name(k)}": {self.quote(check_value(k, v, self))}' for k, v in change.set]
        return "{\n" + ",\n".join(items) + "\n}\n" if items else "{}\n"

    def quote(self, value: str) -> str:
        # A JSON string with PLAIN characters as is and every other one as
        # `\uHHHH` (a surrogate pair above U+FFFF), even `"` and `\`, which
        # JSON could write as `\"` and `\\`: a `"` or `$` read by bash (MFAENV_SHELL=nu
        # inherited by a child bash) would end a string or run a command.
        return '"' + "".join(c if c in PLAIN else _escape(c) for c in value) + '"'


def _escape(c: str) -> str:
    units = c.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
