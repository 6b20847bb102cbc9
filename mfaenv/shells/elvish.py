"""elvish."""

from __future__ import annotations

from mfaenv.shells.base import PLAIN, Shell, is_plain


class Elvish(Shell):
    name = "elvish"
    eval_usage = "eval ({cmd} | slurp)"

    def quote(self, value: str) -> str:
        # PLAIN values in single quotes; anything else in double quotes with
        # PLAIN characters as is and every other one as an escape: `\xHH`
        # below U+0080, `\uHHHH` or `\UHHHHHHHH` above (elvish reads its
        # code as UTF-8 in every locale, and stores the value as UTF-8).
        if is_plain(value):
            return f"'{value}'"
        return '"' + "".join(c if c in PLAIN else _escape(c) for c in value) + '"'

    def set_line(self, name: str, quoted: str) -> str:
        return f"set-env {name} {quoted};"

    def unset_line(self, name: str) -> str:
        return f"unset-env {name};"


def _escape(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x80 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"
