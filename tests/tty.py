"""A pexpect terminal that sends what a real one sends.

pexpect's `sendline` ends a line with "\\n"; a terminal's Enter sends "\\r" and
its Backspace "\\x7f", and the tty driver turns those into a newline and an
erase only while it is in line mode. A program that leaves the terminal in a
shell's editing mode (fish's event handlers do) only shows up with the real
bytes, so every interactive test types them.
"""

from __future__ import annotations

import pexpect

from tests.conftest import CODE

ENTER = "\r"
BACKSPACE = "\x7f"
#: The code as a person types it with a slip: one wrong digit, Backspace, the right one.
CODE_WITH_TYPO = CODE[:-1] + ("0" if CODE[-1] != "0" else "1") + BACKSPACE + CODE[-1]
#: The cursor-position query nushell's line editor sends, and a terminal's answer.
_DSR, _CPR = "\x1b[6n", "\x1b[1;1R"


class Terminal(pexpect.spawn):
    """pexpect.spawn with `enter`, which also answers cursor-position queries as a terminal would."""

    def enter(self, line: str) -> None:
        """Type `line` and press Enter."""
        self.send(line + ENTER)

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        data: str = super().read_nonblocking(size, timeout)
        self._tail = getattr(self, "_tail", "") + data
        for _ in range(self._tail.count(_DSR)):
            self.send(_CPR)
        self._tail = self._tail[-(len(_DSR) - 1) :]  # too short to hold a whole query: none counted twice
        return data
