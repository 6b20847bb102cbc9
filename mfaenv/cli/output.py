"""Writing a command's result: stdout once, as bytes, after success; notes for stderr held until then. Thin.

Every command writes through here, so a failure leaves stdout empty and `eval` applies nothing.
"""

from __future__ import annotations

import datetime as dt
import sys

from mfaenv.errors import MfaenvError, PipeClosed, oneline


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


#: Notes for stderr that wait until the command has succeeded, so a failure stays one line.
_notes: list[str] = []


def flush_notes() -> None:
    while _notes:
        warn(_notes.pop(0))


def write(text: str) -> None:
    flush_notes()
    # Bytes with \n line ends: a text stream would write \r\n on Windows.
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise MfaenvError("stdout is closed; run it with stdout open (a pipe, a file or /dev/null)")
    try:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise PipeClosed from None  # not an OSError, so click does not turn it into exit 1
    except OSError as e:  # /dev/full, a closed or read-only descriptor: one line, never the text itself
        raise MfaenvError(f"cannot write to stdout: {e.strerror or type(e).__name__}") from None


def warn(message: str) -> None:
    print(f"mfaenv: {oneline(message)}", file=sys.stderr)


def note(text: str) -> None:
    """Say `text` on stderr once the command has succeeded (before its output)."""
    _notes.append(text)
