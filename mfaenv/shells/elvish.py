"""elvish."""

from __future__ import annotations

from mfaenv.shells.base import Shell


class Elvish(Shell):
    name = "elvish"
    eval_usage = "eval ({cmd} | slurp)"

    def quote(self, value: str) -> str:
        # Elvish single quotes have one escape: '' for a quote.
        return "'" + value.replace("'", "''") + "'"

    def set_line(self, name: str, quoted: str) -> str:
        return f"set-env {name} {quoted};"

    def unset_line(self, name: str) -> str:
        return f"unset-env {name};"
