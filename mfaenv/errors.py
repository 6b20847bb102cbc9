"""One exception type for every failure a user can fix, with its exit code.

The CLI turns an MfaenvError into one line on stderr and the exit code; nothing
reaches stdout, so `eval "$(mfaenv login)"` never applies half a result.
Messages must never hold a secret (secret key, session token, MFA code).
"""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    """Documented exit codes, one per class of failure (docs/commands.md, "Exit codes")."""

    OK = 0
    INTERNAL = 1  # a bug: rerun with --debug and report it
    INPUT = 2  # bad option, file, profile, code, duration, or stdout is a terminal
    AUTH = 3  # AWS refused the keys or the MFA code
    NETWORK = 4  # STS unreachable: refused, reset, timed out
    AWS = 5  # STS answered but failed: throttled, 5xx, unreadable answer
    NOT_RUN = 127  # `mfaenv exec`: the command could not be started (as in shells)


class MfaenvError(Exception):
    """A failure with a message meant for the user and an exit code."""

    def __init__(self, message: str, code: Exit = Exit.INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CodeRejected(MfaenvError):
    """STS refused the MFA code (wrong, or already used): someone at the terminal may type the next one."""


class CodeMaybeSpent(MfaenvError):
    """The answer to a request carrying the MFA code was lost: STS may have used the code, so it is never sent again."""


class PipeClosed(Exception):
    """stdout's reader went away (`mfaenv ... | head -0`): exit 141, as a shell would."""


class UnrepresentableValue(MfaenvError):
    """A value the chosen shell cannot hold exactly (e.g. a newline in tcsh).

    `why` says what is wrong with the value without naming a variable (`it holds a line break`),
    for a message that names the variable itself.
    """

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message


def oneline(text: str) -> str:
    """`text` with every control character escaped (`\\n`, `\\x1b`, ...): a message stays one line,
    and a name from a file or the environment cannot move the cursor or retitle the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
