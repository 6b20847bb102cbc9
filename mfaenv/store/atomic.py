"""One way to write a file we share with the user: under a lock, to a temp file, renamed over it. I/O edge.

The credentials and config files (store.credfile) and the encrypted key file
(store.keyfile) are written here: the read-modify-write happens under a file
lock (filelock) so concurrent writers cannot lose each other's sections; the
new bytes go to a temp file in the same folder, are fsynced and renamed over
the old file, so a crash leaves the old file or the new one, never a mix.
Imports only mfaenv.errors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from mfaenv.errors import MfaenvError

LOCK_TIMEOUT = 30


@contextlib.contextmanager
def locked(target: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path = f"{target}.lock"
    check_lock(path)
    lock = FileLock(path, timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise MfaenvError(f"another process holds {path} for over {LOCK_TIMEOUT} s; try again") from None
    except OSError as e:  # swapped after our check; filelock >= 3.20.1 refuses a link itself
        raise MfaenvError(f"cannot use the lock file {path}: {e.strerror}; delete it and try again") from None
    try:
        yield
    finally:
        lock.release()


def check_lock(path: str) -> None:
    """The lock file is a regular file of ours, reached without a link.

    filelock before 3.20.1 opened it with O_TRUNC and followed a link, so a
    planted `credentials.lock -> ~/.ssh/id_ed25519` emptied the key (CVE-2025-68146).
    pyproject.toml requires the fixed release where Python allows it (3.10+);
    this check covers Python 3.9 and turns every unusable lock into one line.
    """
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    flags = os.O_RDWR | os.O_CREAT | nofollow | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fix = "delete it (mfaenv makes its own) and try again"
    if not nofollow and os.path.islink(path):  # Windows: no O_NOFOLLOW
        raise MfaenvError(f"cannot use the lock file {path}: it is a symbolic link; {fix}")
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as e:
        why = {errno.ELOOP: "it is a symbolic link", errno.EISDIR: "it is a directory"}.get(e.errno, e.strerror)
        raise MfaenvError(f"cannot use the lock file {path}: {why}; {fix}") from None
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise MfaenvError(f"cannot use the lock file {path}: it is not a regular file; {fix}")
    if os.name != "nt" and info.st_uid != os.geteuid():
        raise MfaenvError(f"cannot use the lock file {path}: it belongs to uid {info.st_uid}, not to you; {fix}")


#: In the name of every temp file replace() makes (`.credentials.mfaenv-k3j9x2.tmp`), so the clean-up
#: below deletes only ours: a user's own `.credentials.backup.tmp` is not ours to delete.
MARK = "mfaenv-"
#: A temp file lives for the milliseconds of one write; one older than this was left by a writer
#: that was killed before its rename.
STALE = 60


def drop_leftovers(target: Path) -> None:
    """Delete the temp files of writers killed before their rename: they may hold keys."""
    now = time.time()
    for leftover in target.parent.glob(f".{target.name}.{MARK}*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.lstat().st_mtime > STALE:
                leftover.unlink()


def replace(target: Path, data: bytes, warn: Callable[[str], None], private: bool) -> None:
    if target.exists() and os.name != "nt" and target.stat().st_uid != os.geteuid():
        # A rename would hand the file to us (sudo with the user's HOME) and lock its owner out.
        raise MfaenvError(
            f"refusing to edit {target}: it belongs to uid {target.stat().st_uid}, and this is uid {os.geteuid()} "
            "(sudo?); run mfaenv as the file's owner"
        )
    mode = 0o600
    if target.exists():
        old = stat.S_IMODE(target.stat().st_mode)
        if private and old & 0o077:
            warn(f"{target} was readable by others (mode {oct(old)[2:]}); it is now 600")
        elif not private:
            mode = old
    elif not private:
        umask = os.umask(0o077)
        os.umask(umask)
        mode = 0o666 & ~umask  # a new config file gets the mode any editor would give it
    write_atomically(str(target), data, f".{target.name}.{MARK}", mode)


def write_atomically(path: str, data: bytes, prefix: str, mode: int = 0o600) -> None:
    """`data` as the whole of `path`, or the old file left as it was: a temp file in the same
    folder (created 0600, `mode` once written), fsynced, renamed over it, the folder synced."""
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        if mode != 0o600 and hasattr(os, "fchmod"):  # Windows has no modes to keep
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename is durable once the folder is synced
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
