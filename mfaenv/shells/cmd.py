"""Windows cmd.exe."""

from __future__ import annotations

import re

from mfaenv.errors import UnrepresentableValue
from mfaenv.shells.base import Shell

# No escaping survives every way cmd reads a line: `%` expands in batch files
# and at the prompt, `!` under delayed expansion, `^` and `"` change meaning
# with the quote state, and `for /f` re-parses its output. So refuse instead of
# escaping: STS keys, tokens and timestamps use only these characters.
_SAFE = re.compile(r"[A-Za-z0-9+/=._:@ -]*\Z")


class Cmd(Shell):
    name = "cmd"
    eval_usage = "for /f \"delims=\" %i in ('{cmd} --shell cmd') do @%i"

    def quote(self, value: str) -> str:
        if not _SAFE.match(value):
            bad = sorted({c for c in value if not _SAFE.match(c)})
            shown = " ".join(repr(c) for c in bad[:5])
            raise UnrepresentableValue(
                f"cmd cannot safely hold a value with {shown}; only letters, digits and + / = . _ : @ - space are allowed",
                f"it holds {shown}, which cmd cannot safely hold",
            )
        return value

    def word(self, arg: str) -> str:
        # quote() leaves the value bare: inside `for /f`'s quotes a space needs double quotes.
        return arg if " " not in arg else f'"{self.quote(arg)}"'

    def set_line(self, name: str, quoted: str) -> str:
        # The quotes around the whole assignment keep trailing spaces out.
        return f'set "{name}={quoted}"'

    def unset_line(self, name: str) -> str:
        return f'set "{name}="'
