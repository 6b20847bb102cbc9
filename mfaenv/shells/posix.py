"""bash, zsh, ksh and the plain POSIX shells (sh, dash, ash)."""

from __future__ import annotations

from mfaenv.shells.base import Shell, is_plain, printf_format

#: How a printf format ends when its value ends in a line break: `$(...)`
#: drops trailing newlines, so printf prints one more `_` (as `\137`, which a
#: value never produces: its `_` is written as is) and set_line cuts it off.
_KEEP = "\\137')\""


class Posix(Shell):
    name = "bash"
    eval_usage = 'eval "$({cmd})"'

    def quote(self, value: str) -> str:
        # Single quotes for PLAIN values (every STS value), always quoted:
        # zsh expands an unquoted `=` at the start of a value or after `:`.
        if is_plain(value):
            return f"'{value}'"
        # Anything else is printed by printf from octal escapes of its UTF-8
        # bytes, so the line stays ASCII: `$'...'` would be shorter, but dash
        # lacks it and bash turns its `\u` into the locale's charset.
        # `command` skips a function named printf.
        fmt = printf_format(value)
        if value.endswith("\n"):
            fmt += "\\137"
        return f"\"$(command printf '{fmt}')\""

    def word(self, arg: str) -> str:
        # Any value: quote()'s printf form works inside `eval "$(...)"` too.
        return super().word(arg) if is_plain(arg) else self.quote(arg)

    def set_line(self, name: str, quoted: str) -> str:
        line = f"export {name}={quoted};"
        if quoted.endswith(_KEEP):
            line += f' {name}="${{{name}%_}}";'
        return line

    def unset_line(self, name: str) -> str:
        return f"unset {name};"
