"""tcsh and csh."""

from __future__ import annotations

from mfaenv.errors import UnrepresentableValue
from mfaenv.shells.base import Shell


class Tcsh(Shell):
    name = "tcsh"
    eval_usage = 'eval "`{cmd}`"'

    def quote(self, value: str) -> str:
        # csh has no way to put a newline inside a word that survives
        # `eval "`...`"` (the backquotes turn newlines into spaces).
        if "\n" in value or "\r" in value:
            raise UnrepresentableValue(
                "tcsh/csh cannot hold a value with a line break; use another shell or `mfaenv exec`"
            )
        # History expansion (`!`) happens even inside single quotes.
        return "'" + value.replace("'", "'\\''").replace("!", "\\!") + "'"

    def set_line(self, name: str, quoted: str) -> str:
        return f"setenv {name} {quoted};"

    def unset_line(self, name: str) -> str:
        return f"unsetenv {name};"
