"""PowerShell: Windows PowerShell (powershell.exe) and PowerShell 7 (pwsh)."""

from __future__ import annotations

from mfaenv.shells.base import Shell

# PowerShell's tokenizer treats the ASCII apostrophe and four Unicode single
# quotation marks alike (U+2018, U+2019, U+201A, U+201B): each of them ends a
# single-quoted string, and doubling it is the only escape inside one. Missing
# the curly ones is how an innocent-looking value breaks out of the quotes.
_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


class PowerShell(Shell):
    name = "pwsh"
    eval_usage = "{cmd} | Out-String | Invoke-Expression"

    def quote(self, value: str) -> str:
        for q in _QUOTES:
            value = value.replace(q, q + q)
        return "'" + value + "'"

    def set_line(self, name: str, quoted: str) -> str:
        return f"$Env:{name} = {quoted};"

    def unset_line(self, name: str) -> str:
        # Remove-Item rather than `$Env:K = $null`: same effect, but it reads
        # as removal, and SilentlyContinue keeps a missing variable quiet.
        return f"Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue;"
