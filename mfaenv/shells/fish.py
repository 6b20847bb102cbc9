"""fish."""

from __future__ import annotations

from mfaenv.plan import MOVED_ASIDE
from mfaenv.shells.base import Shell


class Fish(Shell):
    name = "fish"
    eval_usage = "{cmd} | source"

    def quote(self, value: str) -> str:
        # Inside fish's single quotes only \\ and \' are escapes; shlex.quote's
        # '"'"' works, but it leaves backslashes alone, and fish would read
        # `a\\b` as `a\b` and a trailing `\` as an escaped quote.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

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
