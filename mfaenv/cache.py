"""The session cache shared by the user's terminals. I/O edge.

One file per (source profile, MFA serial, long-term key id) under the user
cache dir: folder 0700, files 0600, each written to a temp file in the same
folder and renamed over the old one, so a reader sees the old entry or the new
one, never half of either. Two terminals racing both call STS and the later
rename wins; both sessions are valid, so no lock is needed. An entry anyone but
the user could read is refused: it holds a secret key. The MFA code is never stored.
The key id is part of the name, so a rotated long-term key never finds an old entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
import sys

from mfaenv.errors import MfaenvError
from mfaenv.plan import Session

try:  # CPython's own SHA-256: hashlib would load OpenSSL, 6 ms of every cached login
    from _sha256 import sha256 as _sha256  # Python < 3.12
except ImportError:
    try:
        from _sha2 import sha256 as _sha256  # type: ignore[no-redef]  # Python >= 3.12
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[no-redef]

#: Only files named like this are ever read, pruned or deleted here.
_ENTRY = re.compile(r"[0-9a-f]{24}-[0-9a-f]{24}\.json\Z")


def folder(env: dict[str, str] | None = None) -> str:
    """The private folder of entries: a `sessions` folder of its own, even under MFAENV_CACHE_DIR."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    if env.get("MFAENV_CACHE_DIR"):
        return os.path.join(os.path.abspath(env["MFAENV_CACHE_DIR"]), "sessions")
    if sys.platform.startswith("linux"):
        # What platformdirs answers on Linux (the XDG rule), without its import on every login.
        xdg = env.get("XDG_CACHE_HOME", "").strip()
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache")
        return os.path.join(base, "mfaenv", "sessions")
    import platformdirs  # ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows

    return os.path.join(platformdirs.user_cache_dir("mfaenv", appauthor=False), "sessions")


def _entries(base: str) -> list[str]:
    try:
        names = os.listdir(base)
    except OSError:  # no cache folder (yet), or not a folder
        return []
    return [os.path.join(base, n) for n in sorted(names) if _ENTRY.match(n)]


def _when(value: object) -> dt.datetime | None:
    """An entry's Expiration as an aware datetime; None for anything damaged."""
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _digest(*parts: str) -> str:
    return _sha256("\0".join(parts).encode()).hexdigest()[:24]


def _prefix(profile: str, key_id: str) -> str:
    return _digest("mfaenv-v1", profile, key_id)


def _path(base: str, profile: str, key_id: str, serial: str) -> str:
    return os.path.join(base, f"{_prefix(profile, key_id)}-{_digest(serial)}.json")


def lookup(
    base: str,
    profile: str,
    key_id: str,
    serial: str | None,
    now: dt.datetime,
    margin: int,
    duration: int | None = None,
) -> Session | None:
    """A cached session with more than `margin` seconds left, or None.

    Without a serial (the device would be looked up in IAM), any entry of this
    profile and key will do: it was made with one of the caller's devices.
    With a `duration` the user asked for, only a session made with that
    duration will do: a cached 12-hour session is no answer to `--duration 1h`.
    """
    paths = (
        [_path(base, profile, key_id, serial)]
        if serial
        else [p for p in _entries(base) if os.path.basename(p).startswith(_prefix(profile, key_id))]
    )
    best: Session | None = None
    for path in paths:
        session = _read(path, profile, duration)
        left = (session.expiration - now).total_seconds() if session and session.expiration else 0
        if session and left > margin and (best is None or session.expiration > best.expiration):  # type: ignore[operator]
            best = session
    return best


def _read(path: str, profile: str, duration: int | None = None) -> Session | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None  # no entry, or no cache folder at all
    except OSError as e:
        raise MfaenvError(f"cannot read the session cache entry {path}: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if os.name != "nt" and info.st_uid != os.getuid():
            raise MfaenvError(
                f"refusing the session cache entry {path}: it belongs to uid {info.st_uid}, not to you "
                f"(uid {os.getuid()}); delete it"
            )
        if os.name != "nt" and info.st_mode & 0o077:
            raise MfaenvError(
                f"refusing the session cache entry {path}: its mode is {stat.filemode(info.st_mode)} "
                "(others could read the session); delete it, or `chmod 600` it if you trust it"
            )
        try:
            doc = json.loads(f.read())
            exp = _when(doc.get("Expiration"))
            key, secret, token = doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # damaged: treated as absent, replaced by the next login
        if exp is None or not all(isinstance(v, str) and v for v in (key, secret, token)):
            return None
        if duration is not None and doc.get("DurationSeconds") != duration:
            return None
        return Session(key, secret, token, exp, profile)


def store(
    base: str, profile: str, key_id: str, serial: str, session: Session, now: dt.datetime, duration: int | None = None
) -> None:
    """Write the entry atomically with mode 0600, and drop expired entries."""
    _ensure_private_dir(base)
    doc = {
        "Version": 1,
        "Profile": profile,
        "SerialNumber": serial,
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": session.expiration.astimezone(dt.timezone.utc).isoformat() if session.expiration else None,
        # What the session was asked for, so a login asking for another duration does not get it.
        "DurationSeconds": duration,
        # For `mfaenv list`: which long-term key made it, as consoles show a key (not usable).
        "SourceKey": f"{key_id[:4]}...{key_id[-4:]}",
    }
    import tempfile  # only when writing: 10 ms a cache hit need not pay

    fd, tmp = tempfile.mkstemp(dir=base, prefix=".tmp-", suffix=".json")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, _path(base, profile, key_id, serial))
    except BaseException:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.unlink(tmp)
        raise
    _prune(base, now)


def forget(base: str, profile: str) -> int:
    """Delete every entry of `profile`; the number deleted."""
    count = 0
    for path in _entries(base):
        try:
            if json.loads(_bytes(path)).get("Profile") == profile:
                os.unlink(path)
                count += 1
        except (OSError, ValueError, AttributeError):
            continue
    return count


def _prune(base: str, now: dt.datetime) -> None:
    for path in _entries(base):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            exp = _when(json.loads(_bytes(path)).get("Expiration"))
            if exp is None or exp <= now:
                os.unlink(path)


def _bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _ensure_private_dir(base: str) -> None:
    os.makedirs(base, mode=0o700, exist_ok=True)
    if os.name != "nt" and stat.S_IMODE(os.stat(base).st_mode) & 0o077:
        os.chmod(base, 0o700)  # ours: make it private rather than write secrets into an open folder


def entries(base: str, now: dt.datetime) -> list[dict[str, object]]:
    """Every entry, for `mfaenv list`: what it is for and when it ends, or why it is not used.

    Never a secret: the session's key id is kept only to tell which one a shell holds.
    """
    out: list[dict[str, object]] = []
    for path in _entries(base):
        row: dict[str, object] = {"file": os.path.basename(path)}
        try:
            doc = json.loads(_bytes_checked(path))
            exp = _when(doc.get("Expiration"))
            if exp is None or not isinstance(doc.get("Profile"), str):
                raise ValueError
        except MfaenvError as e:
            row["problem"] = e.message
        except (OSError, ValueError, AttributeError, TypeError):
            row["problem"] = "damaged: not a session mfaenv can read; `mfaenv clear` removes it"
        else:
            row.update(
                profile=doc["Profile"],
                role=doc.get("RoleArn") if isinstance(doc.get("RoleArn"), str) else None,
                serial=doc.get("SerialNumber") if isinstance(doc.get("SerialNumber"), str) else None,
                source_key=doc.get("SourceKey") if isinstance(doc.get("SourceKey"), str) else None,
                expires=exp,
                seconds_left=int((exp - now).total_seconds()),
                session_key=doc.get("AccessKeyId") if isinstance(doc.get("AccessKeyId"), str) else None,
            )
        out.append(row)
    return out


def _bytes_checked(path: str) -> bytes:
    """An entry's bytes, refused (MfaenvError) as `_read` refuses it: not the user's, or readable by others."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise MfaenvError("not a regular file; `mfaenv clear` removes it")
        if os.name != "nt" and info.st_uid != os.getuid():
            raise MfaenvError(f"refused: it belongs to uid {info.st_uid}, not to you")
        if os.name != "nt" and info.st_mode & 0o077:
            raise MfaenvError(f"refused: its mode is {stat.filemode(info.st_mode)}, so others could read it")
        return f.read(1 << 20)


def clear(base: str, profile: str | None) -> int:
    """Delete every entry (or `profile`'s, including its roles'); the number deleted."""
    count = 0
    for path in _entries(base):
        if profile is not None:
            try:
                if json.loads(_bytes_checked(path)).get("Profile") != profile:
                    continue
            except (OSError, ValueError, AttributeError, MfaenvError):
                continue  # not readable as this profile's: `clear` without a profile removes it
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            count += 1
    return count
