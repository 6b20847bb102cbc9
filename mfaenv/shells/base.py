"""The interface every shell module implements.

A shell turns an EnvChange into text its own `eval`-like command runs. Most
shells need only `quote`, `set_line` and `unset_line`; nushell, which reads a
JSON record, overrides `render`. Every statement ends with `;` because tcsh's
backquote eval and fish's `eval (...)` join lines into one.
"""

from __future__ import annotations

import re

from mfaenv.errors import UnrepresentableValue
from mfaenv.plan import EnvChange

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (8 ms)
if TYPE_CHECKING:
    from typing import ClassVar

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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

    def quote(self, value: str) -> str:
        """`value` as one literal word of this shell's language."""
        raise NotImplementedError

    def set_line(self, name: str, quoted: str) -> str:
        raise NotImplementedError

    def unset_line(self, name: str) -> str:
        raise NotImplementedError

    def usage(self, cmd: str = "mfaenv login") -> str:
        return self.eval_usage.format(cmd=cmd)


def check_name(name: str) -> str:
    # Names are validated, never quoted: no shell has a safe quoting for them.
    if not _NAME.match(name):
        raise UnrepresentableValue(f"{name!r} is not a valid environment variable name")
    return name


def check_value(name: str, value: str, shell: Shell) -> str:
    """Refuse what no environment can hold: NUL, and text that is not Unicode."""
    if "\0" in value:
        raise UnrepresentableValue(f"the value of {name} holds a NUL character, which no environment variable can hold")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnrepresentableValue(f"the value of {name} is not valid Unicode text") from None
    return value
