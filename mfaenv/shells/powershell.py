"""PowerShell: Windows PowerShell (powershell.exe) and PowerShell 7 (pwsh)."""

from __future__ import annotations

from mfaenv.shells.base import Shell, is_plain, runs

# PLAIN runs go in single quotes; every other character is a `[char]0xHHHH`
# (one per UTF-16 code unit, so an emoji is a surrogate pair) joined by `+`,
# which Windows PowerShell 5.1 and pwsh read alike. Three reasons:
# - Windows PowerShell decodes a native command's output with the console's
#   code page: in CP1252 the UTF-8 bytes of `ё` (D1 91) read as `Ñ‘`, and
#   that `‘` is a quote. ASCII output reads the same in every code page.
# - PowerShell's tokenizer ends a single-quoted string at the ASCII
#   apostrophe and at four Unicode quotation marks alike (U+2018, U+2019,
#   U+201A, U+201B), which the usual `''` doubling misses; as [char]s they
#   are never quotes.
# - Nothing of a value reaches the text as `$`, a backtick, `"` or `;`, so
#   the line stays inert in any other shell that reads it.
# The expression starts with a string ('' if need be): `[char] + [char]`
# would add two numbers.


class PowerShell(Shell):
    name = "pwsh"
    eval_usage = "{cmd} | Out-String | Invoke-Expression"

    def quote(self, value: str) -> str:
        if is_plain(value):
            return f"'{value}'"
        parts = [f"'{run}'" if is_plain(run) else _chars(run) for run in runs(value)]
        if not is_plain(value[0]):
            parts.insert(0, "''")
        return " + ".join(parts)

    def set_line(self, name: str, quoted: str) -> str:
        return f"$Env:{name} = {quoted};"

    def unset_line(self, name: str) -> str:
        # Remove-Item rather than `$Env:K = $null`: same effect, but it reads
        # as removal, and SilentlyContinue keeps a missing variable quiet.
        return f"Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue;"


def _chars(run: str) -> str:
    units = run.encode("utf-16-be")
    return " + ".join(f"[char]0x{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))
