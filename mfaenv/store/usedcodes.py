"""MFA codes already used, remembered briefly so a reuse is refused before any call.

AWS accepts each one-time code once; a second GetSessionToken with it fails
as "invalid code", which misleads. A code lives 30 s, and AWS accepts codes a
step or so either side, so a use is remembered for 3 minutes.

What the file tells a reader: a salted SHA-256 of (serial, code) for each use of
the last 3 minutes. That hides a code from a glance, not from a search: there are
only a million codes, and a laptop tries them all in seconds. We keep it
that way on purpose: a code is worthless once used (AWS refuses it again) and
within about 90 s anyway; the file is 0600 in the private cache folder, next to
session files that are worth far more; a key kept elsewhere or a slow hash
would cost every login and protect nothing that is not already lost to whoever
can read that folder. (docs/commands.md, "Sessions across terminals".)

The file lives in the checked cache folder and is read like a cache entry
(cachedir.Folder: no link, no FIFO, ours). With MFAENV_NO_CACHE=1 it is neither
read nor written: the caller passes no folder.
"""

from __future__ import annotations

import datetime as dt
import json

from mfaenv.store.cachedir import Folder, opened

REMEMBER = 180  # seconds
NAME = "used-codes.json"


def _digest(salt: str, serial: str, code: str) -> str:
    import hashlib  # only once a code is typed: a cached login skips it

    return hashlib.sha256(f"{salt}\0{serial}\0{code}".encode()).hexdigest()


def _load(d: Folder | None) -> dict[str, object]:
    got = d.read(NAME, "the used-codes file") if d is not None else None
    if got is None:
        return {}
    try:
        doc = json.loads(got[0])
    except ValueError:
        return {}  # damaged: rewritten by the next use
    return doc if isinstance(doc, dict) and isinstance(doc.get("salt"), str) else {}


def used_at(folder: str | None, serial: str, code: str, now: dt.datetime) -> dt.datetime | None:
    """When this code was used for this device, if within the window; None without a folder (no cache)."""
    if folder is None:
        return None
    with opened(folder, create=False) as d:
        doc = _load(d)
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

    with opened(folder, create=True) as d:
        assert d is not None
        doc = _load(d)
        salt = doc.get("salt") if isinstance(doc.get("salt"), str) else secrets.token_hex(16)
        seen = doc.get("used") if isinstance(doc.get("used"), dict) else {}
        fresh = {k: v for k, v in seen.items() if isinstance(v, (int, float)) and now.timestamp() - v <= REMEMBER}  # type: ignore[union-attr]
        fresh[_digest(str(salt), serial, code)] = now.timestamp()
        d.write(NAME, json.dumps({"salt": salt, "used": fresh}).encode("utf-8"))
