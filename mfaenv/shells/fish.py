"""fish."""

from __future__ import annotations

from mfaenv.plan import MOVED_ASIDE
from mfaenv.shells.base import Shell, is_plain, runs


class Fish(Shell):
    name = "fish"
    eval_usage = "{cmd} | source"

    def quote(self, value: str) -> str:
        # PLAIN runs in single quotes; every other byte of the UTF-8 text as
        # `\xHH` outside them, which fish reads as that byte in any locale.
        # Not `\'` inside the quotes: under GBK or Big5 its backslash became
        # the second half of the character before it, and the quote ended.
        # Not `\u4e01`: fish converts it to the locale's charset, and drops
        # what the charset lacks (an emoji under GBK).
        if is_plain(value):
            return f"'{value}'"
        return "".join(
            f"'{run}'" if is_plain(run) else "".join(f"\\x{b:02x}" for b in run.encode()) for run in runs(value)
        )

    def set_line(self, name: str, quoted: str) -> str:
        return f"set -gx {name} {quoted};"

    def unset_line(self, name: str) -> str:
        # `set -e` of a missing variable returns 4, which would make
        # `mfaenv logout | source; and ...` stop; an `if` with no branch taken returns 0.
        # -g: the hook sources this inside a function, where an unscoped
        # erase would look at function-local variables first.
        line = f"if set -q -g {name}; set -e -g {name}; end;"
        if name in MOVED_ASIDE:
            # A universal (`set -Ux`) survives: erasing it would change every
            # fish session for good. Say so, since the JS SDK would sign with it.
            line += (
                f" if set -q -U {name}; echo 'mfaenv: {name} is a universal variable and stays set; "
                f"erase it with: set -e -U {name}' >&2; end;"
            )
        return line
