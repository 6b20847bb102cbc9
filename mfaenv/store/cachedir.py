"""The cache's private folder: where it is, and the checks before anything is read or written there. I/O edge.

The folders are input too (MFAENV_CACHE_DIR or XDG_CACHE_HOME may point
anywhere), so, as ssh asks of ~/.ssh: the cache folder and its `sessions`
folder must be real folders (not links) of the user's own that nobody else can
write, and every folder above them must belong to the user or root and be
writable by others only with the sticky bit (/tmp). Once checked, a folder is
held open and every name in it is reached through that handle, never through a
link, and only a regular file is read, so nobody can swap a folder or plant a
link or a FIFO between the check and the use.

Used by the session cache (store.cache, store.cleanup) and the used codes
(store.usedcodes). Imports only mfaenv.errors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import time
from collections.abc import Iterator

from mfaenv.errors import MfaenvError
from mfaenv.inputs import absolute_path

#: Our temp files (and the mkstemp names earlier versions used), left by a writer killed before its rename.
_LEFTOVER = re.compile(r"\.(?:tmp-[a-z0-9_]{8,16}\.json|used-codes\.[a-z0-9_]{8}\.tmp)\Z")

#: A temp file older than this belongs to a writer that died (a write takes milliseconds): it is deleted.
STALE = 600

#: Far above any entry (a session token must fit an environment variable: under 128 KiB).
MAX_ENTRY = 1 << 20

POSIX = os.name != "nt"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not block the open

_DIRECTORY = getattr(os, "O_DIRECTORY", 0)

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

_BINARY = getattr(os, "O_BINARY", 0)

_FIX = "delete it (mfaenv creates its own, 0700), point MFAENV_CACHE_DIR at a private folder, or set MFAENV_NO_CACHE=1"


def path(env: dict[str, str] | None = None) -> str:
    """The private folder of entries: a `sessions` folder of its own, even under MFAENV_CACHE_DIR."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    given = env.get("MFAENV_CACHE_DIR")
    if given:
        return os.path.join(absolute_path("MFAENV_CACHE_DIR", given, "~/.cache/mfaenv"), "sessions")
    if sys.platform.startswith("linux"):
        # What platformdirs answers on Linux (the XDG rule), without its import on every login.
        xdg = env.get("XDG_CACHE_HOME", "").strip()
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache")
        if not os.path.isabs(base):
            raise MfaenvError(f"HOME {env.get('HOME', '')!r} is not an absolute path; set HOME or MFAENV_CACHE_DIR")
        return os.path.join(os.path.normpath(base), "mfaenv", "sessions")
    import platformdirs  # ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows

    return os.path.join(platformdirs.user_cache_dir("mfaenv", appauthor=False), "sessions")


class Refused(MfaenvError):
    """A file in the cache folder that is not used; `why` says so briefly (for `mfaenv list`)."""

    def __init__(self, what: str, where: str, why: str, fix: str = "delete it") -> None:
        super().__init__(f"refusing {what} {where}: {why}; {fix}")
        self.why = why


class Folder:
    """A checked private folder, held open: names in it are reached through its handle (POSIX)."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd  # None on Windows, which has no handles on folders: plain paths there

    def _at(self, name: str) -> tuple[str, dict[str, int]]:
        return (name, {"dir_fd": self.fd}) if self.fd is not None else (os.path.join(self.path, name), {})

    def names(self) -> list[str]:
        return sorted(os.listdir(self.fd if self.fd is not None else self.path))

    def read(self, name: str, what: str) -> tuple[bytes, os.stat_result] | None:
        """A regular file of ours, at most MAX_ENTRY bytes; None if it is absent or larger."""
        where = os.path.join(self.path, name)
        path, at = self._at(name)
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY, **at)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise Refused(what, where, "it is a symbolic link" if e.errno == errno.ELOOP else e.strerror) from None
        info = os.fstat(fd)
        why = ""
        if not stat.S_ISREG(info.st_mode):  # a FIFO, a folder, a device: never read
            why = "it is not a regular file"
        elif POSIX and info.st_uid != os.geteuid():
            why = f"it belongs to uid {info.st_uid}, not to you (uid {os.geteuid()})"
        if why:
            os.close(fd)
            raise Refused(what, where, why)
        with open(fd, "rb", closefd=True) as f:
            data = f.read(MAX_ENTRY + 1)
        return None if len(data) > MAX_ENTRY else (data, info)

    def write(self, name: str, data: bytes) -> None:
        """Replace `name` atomically with a 0600 file holding `data`."""
        tmp = f".tmp-{os.urandom(8).hex()}.json"
        path, at = self._at(tmp)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY, 0o600, **at)
        try:
            with open(fd, "wb", closefd=True) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if self.fd is not None:
                os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
            else:
                os.replace(path, os.path.join(self.path, name))
        except BaseException:
            with contextlib.suppress(OSError):
                self.unlink(tmp)
            raise
        if self.fd is not None:
            with contextlib.suppress(OSError):  # the rename is durable once the folder is synced
                os.fsync(self.fd)

    def unlink(self, name: str) -> None:
        path, at = self._at(name)
        os.unlink(path, **at)

    def drop_leftovers(self, older_than: float) -> None:
        """Delete our temp files older than `older_than` seconds: a killed writer's, holding a session."""
        now = time.time()
        for name in self.names():
            if _LEFTOVER.match(name):
                path, at = self._at(name)
                with contextlib.suppress(OSError):
                    if older_than <= 0 or now - os.stat(path, follow_symlinks=False, **at).st_mtime >= older_than:
                        os.unlink(path, **at)


@contextlib.contextmanager
def opened(base: str, create: bool) -> Iterator[Folder | None]:
    """The checked folder `base` (the `sessions` folder), or None if it does not exist and `create` is False."""
    if not POSIX:
        if create:
            os.makedirs(base, exist_ok=True)
        yield Folder(base, None) if os.path.isdir(base) else None
        return
    top = os.path.dirname(base)
    _check_parents(top)
    top_fd = _open_dir(top, None, top, create)
    if top_fd is None:
        yield None
        return
    try:
        fd = _open_dir(os.path.basename(base), top_fd, base, create)
    finally:
        os.close(top_fd)
    if fd is None:
        yield None
        return
    try:
        if create and os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o700)  # ours, checked, reached without a link: private before secrets go in
        yield Folder(base, fd)
    finally:
        os.close(fd)


def _open_dir(name: str, dir_fd: int | None, shown: str, create: bool) -> int | None:
    at = {} if dir_fd is None else {"dir_fd": dir_fd}
    flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    try:
        fd = os.open(name, flags, **at)
    except FileNotFoundError:
        if not create:
            return None
        if dir_fd is None:
            os.makedirs(os.path.dirname(name), exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, **at)
        fd = _open_dir(name, dir_fd, shown, False)  # checked like any other: it may have been raced
        if fd is None:
            raise MfaenvError(f"cannot create the cache folder {shown}; {_FIX}") from None
        return fd
    except OSError as e:
        # O_DIRECTORY with O_NOFOLLOW: ELOOP for a link on some systems, ENOTDIR on Linux.
        if e.errno == errno.ELOOP or (e.errno == errno.ENOTDIR and _is_link(name, at)):
            raise MfaenvError(f"refusing the cache folder {shown}: it is a symbolic link; {_FIX}") from None
        if e.errno == errno.ENOTDIR and not create:
            return None  # a file where the folder would be: no cache to read (a write says so)
        owner = _owner(name, at) if e.errno in (errno.EACCES, errno.EPERM) else None
        if owner is not None and owner != os.geteuid():  # another user's private folder: say whose
            raise MfaenvError(
                f"refusing the cache folder {shown}: it belongs to uid {owner}, not to you (uid {os.geteuid()}); {_FIX}"
            ) from None
        what = "it is not a folder" if e.errno == errno.ENOTDIR else e.strerror
        raise MfaenvError(f"cannot use the cache folder {shown}: {what}; {_FIX}") from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            raise MfaenvError(
                f"refusing the cache folder {shown}: it belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); {_FIX}"
            )
        if info.st_mode & 0o022:
            raise MfaenvError(
                f"refusing the cache folder {shown}: others can write it (mode {stat.filemode(info.st_mode)}); "
                f"`chmod go-w {shown}` if it is yours alone, or {_FIX}"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_link(name: str, at: dict[str, int]) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, follow_symlinks=False, **at).st_mode)
    except OSError:
        return False


def _owner(name: str, at: dict[str, int]) -> int | None:
    try:
        return os.stat(name, follow_symlinks=False, **at).st_uid
    except OSError:
        return None


def _check_parents(top: str) -> None:
    """Every folder above `top` is the user's or root's, and nobody else can rename things in it.

    Group-writable parents are let through: with user private groups (umask 002)
    they are common and the group is the user's own; and a swapped parent could
    only lead to a folder the checks above refuse, or to another folder of the user's.
    """
    path = os.path.realpath(os.path.dirname(top))
    while True:
        try:
            info = os.stat(path)
        except OSError:
            info = None  # not there yet: created below, then checked
        if info is not None:
            if info.st_uid not in (0, os.geteuid()):
                raise MfaenvError(
                    f"refusing the cache folder {top}: the folder {path} above it belongs to uid {info.st_uid}, "
                    f"who could swap it; point MFAENV_CACHE_DIR at a folder under your home, or set MFAENV_NO_CACHE=1"
                )
            if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
                raise MfaenvError(
                    f"refusing the cache folder {top}: anyone can write the folder {path} above it "
                    f"(mode {stat.filemode(info.st_mode)}, no sticky bit); point MFAENV_CACHE_DIR at a folder "
                    "under your home, or set MFAENV_NO_CACHE=1"
                )
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent
