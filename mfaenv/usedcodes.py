"""MFA codes already used, remembered briefly so a reuse is refused before any call.

AWS accepts each one-time code once; a second GetSessionToken with it fails
as "invalid code", which misleads. A code lives 30 s, and AWS accepts codes a
step or so either side, so a use is remembered for 3 minutes. Only a salted
hash of (serial, code) is kept, in a 0600 file in the private cache folder; the
salt is random per file, so the file says nothing about past codes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os

REMEMBER = 180  # seconds


def _digest(salt: str, serial: str, code: str) -> str:
    import hashlib  # only once a code is typed: a cached login skips it

    return hashlib.sha256(f"{salt}\0{serial}\0{code}".encode()).hexdigest()


def _load(path: str) -> dict[str, object]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as f:
        if os.name != "nt" and os.fstat(f.fileno()).st_uid != os.getuid():
            return {}  # not ours: trust nothing in it
        try:
            doc = json.loads(f.read())
        except ValueError:
            return {}
    return doc if isinstance(doc, dict) and isinstance(doc.get("salt"), str) else {}


def used_at(folder: str, serial: str, code: str, now: dt.datetime) -> dt.datetime | None:
    """When this code was used for this device, if within the window."""
    doc = _load(os.path.join(folder, "used-codes.json"))
    salt, seen = doc.get("salt"), doc.get("used")
    if not isinstance(salt, str) or not isinstance(seen, dict):
        return None
    when = seen.get(_digest(salt, serial, code))
    # A time in the future (a clock set back) is ignored rather than blocking the code forever.
    if not isinstance(when, (int, float)) or not -60 <= now.timestamp() - when <= REMEMBER:
        return None
    return dt.datetime.fromtimestamp(when, dt.timezone.utc)


def remember(folder: str, serial: str, code: str, now: dt.datetime) -> None:
    import secrets
    import tempfile

    path = os.path.join(folder, "used-codes.json")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    doc = _load(path)
    salt = doc.get("salt") if isinstance(doc.get("salt"), str) else secrets.token_hex(16)
    seen = doc.get("used") if isinstance(doc.get("used"), dict) else {}
    fresh = {k: v for k, v in seen.items() if isinstance(v, (int, float)) and now.timestamp() - v <= REMEMBER}  # type: ignore[union-attr]
    fresh[_digest(str(salt), serial, code)] = now.timestamp()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".used-codes.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({"salt": salt, "used": fresh}, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
