"""bash, zsh, ksh and the plain POSIX shells (sh, dash, ash)."""

from __future__ import annotations

from mfaenv.shells.base import Shell


class Posix(Shell):
    name = "bash"
    eval_usage = 'eval "$({cmd})"'

    def quote(self, value: str) -> str:
        # Single quotes with '"'"' for a quote: every POSIX shell reads it the
        # same way. $'...' would be shorter for control characters, but dash lacks it.
        # Always quoted, unlike shlex.quote: zsh expands an unquoted `=` at the
        # start of a value or after `:` (`X==0` looks up a command named 0).
        return "'" + value.replace("'", "'\"'\"'") + "'"

    def set_line(self, name: str, quoted: str) -> str:
        return f"export {name}={quoted};"

    def unset_line(self, name: str) -> str:
        return f"unset {name};"
