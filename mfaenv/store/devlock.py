"""One fresh login per MFA device at a time: a lock file in the private cache folder. I/O edge.

AWS accepts each one-time code once. Six `credential-process` runs on a cold
cache (an IDE and a terminal, terraform's providers) would each ask a token
command for the same code, or put six questions on one terminal, and all but
one would be refused. So a login that misses the cache takes this lock before it
asks for a code, then looks in the cache again: whoever waited finds the session
the holder just made.

The lock is flock(2) on a file in the cache folder (checked by store.cachedir,
reached through its handle, never through a link): 0600, empty, named by a hash
of the device's serial and the STS endpoint, so no serial shows in a name. The
kernel drops the lock when its holder ends, killed or not, so there is nothing
stale to clean up, and nothing ever deletes the file (a new file would not be
locked by whoever holds the old one). Without flock (Windows), or with a folder
that cannot hold the file, logins go on unlocked, as they did before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterator

from mfaenv.errors import MfaenvError
from mfaenv.store.cachedir import Refused, opened

#: How long a login waits for another one of the same device: a person finding the device
#: and typing its code, or a token command (120 s at most), then the STS call (under a minute).
WAIT = 300
#: A wait shorter than this goes unsaid: the other login was about to finish.
SAY_AFTER = 1.0
_POLL = 0.05

_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC


def name(serial: str, endpoint: str) -> str:
    import hashlib  # only on a cache miss: a cached login never gets here

    digest = hashlib.sha256("\0".join(("mfaenv-lock-v1", serial, endpoint)).encode()).hexdigest()
    return f"device-{digest[:24]}.lock"


@contextlib.contextmanager
def held(base: str, serial: str, endpoint: str, say: Callable[[str], None]) -> Iterator[bool]:
    """Hold the device's lock for the block; yields whether another login held it first.

    True means the other login may have just made the session: look in the cache again.
    """
    fd = _open(base, serial, endpoint)
    if fd is None:
        yield False
        return
    try:
        yield _lock(fd, serial, say)
    finally:
        os.close(fd)  # releases the lock


def _open(base: str, serial: str, endpoint: str) -> int | None:
    """The lock file, open; None where no lock can be had (the login then goes on without one)."""
    try:
        import fcntl  # noqa: F401 - POSIX only
    except ImportError:
        return None
    try:
        with opened(base, create=True) as d:
            if d is None or d.fd is None:
                return None
            lock = name(serial, endpoint)
            try:
                fd = os.open(lock, _FLAGS, 0o600, dir_fd=d.fd)
            except OSError as e:
                if e.errno == errno.ELOOP:
                    raise Refused("the lock file", os.path.join(d.path, lock), "it is a symbolic link") from None
                return None  # a full disk, a read-only folder: the session cache does without it too
            info = os.fstat(fd)
            why = ""
            if not stat.S_ISREG(info.st_mode):
                why = "it is not a regular file"
            elif info.st_uid != os.geteuid():
                why = f"it belongs to uid {info.st_uid}, not to you (uid {os.geteuid()})"
            if why:
                os.close(fd)
                raise Refused("the lock file", os.path.join(d.path, lock), why)
            if info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            return fd
    except Refused:
        raise
    except (OSError, MfaenvError):  # a folder that cannot be made: the session cache does without it too
        return None


def _lock(fd: int, serial: str, say: Callable[[str], None]) -> bool:
    """flock `fd`, waiting at most WAIT seconds; whether it was held by another login first."""
    import fcntl

    start = time.monotonic()
    waited = said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            waited = True
        except OSError:
            return False  # no locks on this file system (some NFS): go on without one
        elapsed = time.monotonic() - start
        if elapsed > WAIT:
            raise MfaenvError(
                f"another mfaenv login of MFA device {serial} has been waiting for its code for over {WAIT} s; "
                "answer it or end it, then try again"
            )
        if not said and elapsed >= SAY_AFTER:
            say(f"waiting for another mfaenv login of {serial}...")
            said = True
        time.sleep(_POLL)
