r"""The interface every shell module implements, and the rule all of them keep.

A shell turns an EnvChange into text its own `eval`-like command runs. Most
shells need only `quote`, `set_line` and `unset_line`; nushell, which reads a
JSON record, overrides `render`. Every statement ends with `;` because tcsh's
backquote eval and fish's `eval (...)` join lines into one.

The rule: a value's characters appear literally only if they are PLAIN, and
every other character is written through one of the shell's own fixed escape
forms (fish `\xHH`, a PowerShell `[char]0xHHHH`, a POSIX `printf` octal...).
So the output is ASCII, and it reads the same in every locale: under GBK,
Big5, Shift_JIS or GB18030 a non-ASCII byte can swallow the next byte as its
second half (fish took the backslash of `\'` that way, and the quote ended
early), and Shift_JIS reads 0x5C as a yen sign in tcsh, so no backslash
escape is safe there. And a value stays inert in a shell it was not written
for (MFAENV_SHELL is inherited by child shells; a pipe may end in the wrong
one): PLAIN holds no quote, `$`, backtick, backslash, `!`, `%`, `^`, `&`, `;`,
`|`, `<`, `>`, parenthesis, bracket, brace, `#`, `~`, `*`, `?`, whitespace
other than space, or line break, so whatever a value holds only chooses
among fixed tokens, and no shell can read a command out of it.
STS keys, tokens and timestamps are PLAIN, so they are always written as is.

A value arrives as its UTF-8 bytes in every locale. Escapes that name a
character (fish `\u4e01`, bash `$'\u4e01'`) are converted to the locale's
charset instead, and fish drops what the charset lacks, so the modules that
can write bytes (POSIX, fish, tcsh, xonsh) write bytes.
"""

from __future__ import annotations

import re

from mfaenv.errors import UnrepresentableValue
from mfaenv.plan import EnvChange

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (8 ms)
if TYPE_CHECKING:
    from typing import ClassVar

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: The characters every shell module writes as themselves (see above).
PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=._:@,- ")
#: An argument every shell reads as itself, unquoted (no `=` first: zsh expands `=cmd`; no `@`, `,`: PowerShell).
_BARE = re.compile(r"[A-Za-z0-9_./:+-][A-Za-z0-9_./:+=-]*\Z")
_RUNS = re.compile(r"[A-Za-z0-9+/=._:@, -]+|[^A-Za-z0-9+/=._:@, -]+")


class Shell:
    #: The name `--shell` takes and the docs use.
    name: ClassVar[str]
    #: How a user evaluates `mfaenv login` in this shell; `{cmd}` is replaced.
    eval_usage: ClassVar[str]

    def __init__(self, alias: str | None = None) -> None:
        #: The name this shell was asked for or detected as (`zsh` for the POSIX family).
        self.alias = alias or self.name

    def render(self, change: EnvChange) -> str:
        """The statements for `change`, one per line, each ending in `\\n`."""
        lines = [self.unset_line(check_name(k)) for k in change.unset]
        lines += [self.set_line(check_name(k), self.quote(check_value(k, v, self))) for k, v in change.set]
        return "".join(line + "\n" for line in lines)

    def render_what_fits(self, change: EnvChange) -> tuple[str, list[tuple[str, str]]]:
        """As render, leaving out each value to set that this shell cannot hold: (text, [(name, why)]).

        For logout: a saved value that cannot be given back must not keep the session's keys in the shell.
        """
        left_out = []
        for name, value in change.set:
            try:
                self.render(EnvChange(set=((name, value),)))
            except UnrepresentableValue as e:
                left_out.append((name, e.why))
        names = {name for name, _ in left_out}
        kept = EnvChange(change.unset, tuple(pair for pair in change.set if pair[0] not in names))
        return self.render(kept), left_out

    def quote(self, value: str) -> str:
        """`value` as one literal word of this shell's language."""
        raise NotImplementedError

    def set_line(self, name: str, quoted: str) -> str:
        raise NotImplementedError

    def unset_line(self, name: str) -> str:
        raise NotImplementedError

    def usage(self, cmd: str = "mfaenv login") -> str:
        return self.eval_usage.format(cmd=cmd)

    def word(self, arg: str) -> str:
        """`arg` as one argument of a command line in this shell (for a hint the user pastes)."""
        if _BARE.match(arg):
            return arg
        if is_plain(arg):
            return self.quote(arg)
        raise UnrepresentableValue(f"{self.name} hint cannot hold {arg!r}")


def is_plain(value: str) -> bool:
    return PLAIN.issuperset(value)


def runs(value: str) -> list[str]:
    """`value` cut into its longest runs of PLAIN and of other characters, alternating."""
    return _RUNS.findall(value)


def printf_format(value: str) -> str:
    """A printf format that prints `value`'s UTF-8 bytes: PLAIN as is, the rest as octal.

    An octal `\\045` is a literal `%` to printf, never a conversion. A leading
    `-` is escaped too, or printf would read the format as an option.
    """
    fmt = "".join(chr(b) if chr(b) in PLAIN else f"\\{b:03o}" for b in value.encode())
    return "\\055" + fmt[1:] if fmt.startswith("-") else fmt


def check_name(name: str) -> str:
    # Names are validated, never quoted: no shell has a safe quoting for them.
    if not _NAME.match(name):
        raise UnrepresentableValue(f"{name!r} is not a valid environment variable name")
    return name


def check_value(name: str, value: str, shell: Shell) -> str:
    """Refuse what no environment can hold: NUL, and text that is not Unicode."""
    why = ""
    if "\0" in value:
        why = "holds a NUL character, which no environment variable can hold"
    else:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            why = "is not valid Unicode text"
    if why:
        raise UnrepresentableValue(f"the value of {name} {why}", f"it {why}")
    return value
