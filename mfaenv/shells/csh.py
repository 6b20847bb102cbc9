"""tcsh and csh."""

from __future__ import annotations

from mfaenv.errors import UnrepresentableValue
from mfaenv.shells.base import Shell, is_plain, printf_format


class Tcsh(Shell):
    name = "tcsh"
    eval_usage = 'eval "`{cmd}`"'

    def quote(self, value: str) -> str:
        # csh has no way to put a newline inside a word that survives
        # `eval "`...`"` (the backquotes turn newlines into spaces).
        if "\n" in value or "\r" in value:
            raise UnrepresentableValue(
                "tcsh/csh cannot hold a value with a line break; use another shell or `mfaenv exec`",
                "it holds a line break, which tcsh/csh cannot hold",
            )
        if is_plain(value):
            return f"'{value}'"
        # No backslash escape works in every locale: under Shift_JIS tcsh
        # reads 0x5C as a yen sign, so `\!` left a history expansion and `'\''`
        # ended the quote. So the value is printed by printf (a program: csh
        # has no printf builtin) from octal escapes of its UTF-8 bytes. What a
        # backquote prints is not scanned again for `!`, `$` or quotes, and
        # inside double quotes it is one word, unglobbed, tabs kept.
        return f"\"`printf '{printf_format(value)}'`\""

    def set_line(self, name: str, quoted: str) -> str:
        return f"setenv {name} {quoted};"

    def unset_line(self, name: str) -> str:
        return f"unsetenv {name};"
