"""Talking to the user on the controlling terminal, and the token command. I/O edge.

Under `eval "$(mfaenv login)"` stdout is captured by the shell and stdin may
be a pipe, so questions go to the terminal itself (/dev/tty; CONIN$/CONOUT$ on
Windows), never to stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys

from mfaenv.errors import MfaenvError, oneline

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import TextIO

#: Variables a token command never sees: it needs none of our secrets, nor what unlocks a store
#: (the key file's passphrase; keyring's cryptfile password and backend properties). pass and gpg's
#: own settings stay: `pass otp` is a token command.
_HIDDEN_FROM_COMMANDS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "MFAENV_KEYFILE_PASSPHRASE",
    "KEYRING_CRYPTFILE_PASSWORD",
)
_HIDDEN_PREFIXES = ("KEYRING_PROPERTY_",)


@contextlib.contextmanager
def open_tty() -> Iterator[tuple[TextIO, TextIO] | None]:
    """(reader, writer) on the controlling terminal, or None if there is none.

    None as well outside the main thread: the credential server (`exec --server`) renews
    sessions in its threads while the user's command owns the terminal, so nothing there
    may ask (a key file's passphrase, a code): it fails with the usual no-terminal message.
    """
    threads = sys.modules.get("threading")  # not imported: there is only the main thread
    if threads is not None and threads.current_thread() is not threads.main_thread():
        yield None
        return
    try:
        if os.name == "nt":
            rd = open("CONIN$", encoding="utf-8")  # noqa: SIM115
            wr = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
        else:
            # Two streams: a text stream in "r+" mode needs a seekable file.
            rd = open("/dev/tty", encoding="utf-8")  # noqa: SIM115
            wr = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
    except OSError:
        yield None
        return
    try:
        yield rd, wr
    finally:
        rd.close()
        wr.close()


def ask(tty: tuple[TextIO, TextIO], question: str) -> str:
    """The line typed after `question`, which is escaped as stderr is: it may name a profile or a path."""
    rd, wr = tty
    with _line_mode(rd):
        wr.write(oneline(question))
        wr.flush()
        line = rd.readline()
    if not line:  # end of input (Ctrl-D)
        raise MfaenvError("no answer on the terminal (end of input)")
    return line.rstrip("\r\n")


@contextlib.contextmanager
def _line_mode(rd: TextIO, echo: bool = True) -> Iterator[None]:
    """The terminal in line mode (echo unless not `echo`, Enter, Backspace) while we read, as it was after.

    A shell may run us with its own editing mode still set: fish's event
    handlers do (no echo, no canonical input, CR not turned into NL).
    """
    try:
        import termios
    except ImportError:  # Windows: the console reads lines already
        yield
        return
    try:
        fd = rd.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, termios.error):  # not a terminal
        yield
        return
    mode = list(saved)
    mode[0] = (mode[0] | termios.ICRNL) & ~(termios.INLCR | termios.IGNCR)
    mode[3] |= termios.ICANON | termios.ECHOE | termios.ECHOK | termios.ISIG | termios.IEXTEN
    mode[3] = mode[3] | termios.ECHO if echo else mode[3] & ~(termios.ECHO | termios.ECHONL)
    if mode != saved:
        termios.tcsetattr(fd, termios.TCSANOW, mode)
    try:
        yield
    finally:
        if mode != saved:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(fd, termios.TCSANOW, saved)


def say(text: str) -> None:
    """A message for the user on stderr (never stdout, which the shell evaluates)."""
    print(f"mfaenv: {oneline(text)}", file=sys.stderr)


def run_token_command(command: str, env: Mapping[str, str], source: str = "--token-command") -> str:
    """Run the user's code generator (ykman, op, ...) and return its stdout.

    It runs through the user's shell so pipes and quotes work as typed. Its
    stderr and stdin stay on the terminal (a YubiKey may ask for a touch); its
    environment lacks our secrets, and the code comes back on a pipe, never argv.
    """
    import subprocess

    child_env = {k: v for k, v in env.items() if k not in _HIDDEN_FROM_COMMANDS and not k.startswith(_HIDDEN_PREFIXES)}
    try:
        done = subprocess.run(
            command,
            shell=True,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL if not sys.stdin.isatty() else None,
            env=child_env,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MfaenvError(f"the token command from {source} did not finish within 120 s") from None
    except OSError as e:
        raise MfaenvError(f"cannot run the token command from {source}: {e.strerror}") from None
    if done.returncode != 0:
        raise MfaenvError(f"the token command from {source} failed with exit status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def ask_hidden(tty: tuple[TextIO, TextIO], question: str) -> str:
    """Like ask, without echoing what is typed (a secret key, a passphrase).

    In line mode like ask: clearing ECHO alone left fish's editing mode on, where Enter (a CR) ends nothing.
    """
    if os.name == "nt":
        import getpass

        return getpass.getpass(oneline(question)).strip()
    rd, wr = tty
    try:
        with _line_mode(rd, echo=False):
            wr.write(oneline(question))
            wr.flush()
            line = rd.readline()
    finally:
        wr.write("\n")  # the Enter the user typed was not echoed either
        wr.flush()
    if not line:
        raise MfaenvError("no answer on the terminal (end of input)")
    return line.rstrip("\r\n")
