"""The session cache shared by the user's terminals: its entries. I/O edge.

One file per (source profile, MFA serial, long-term key id, STS endpoint,
length) under the user cache dir, and one per role session (role profile,
long-term key id, the request: flow.steps.AssumeRole.cache_key, endpoint,
length): files 0600 in the private folder store.cachedir checks, each written
to a temp file in the same folder and renamed over the old one, so a reader
sees the old entry or the new one, never half of either. Two fresh logins of one
MFA device do not race: store.devlock lets one call STS while the other waits,
then finds its session here. An entry anyone but the user could read is refused: it holds a secret
key. The MFA code is never stored.
The key id is part of the name, so a rotated long-term key never finds an old
entry. The endpoint (store.stsendpoint) is in the name and in the entry, compared
on every read: a session an emulator issued never answers a login against AWS.
Sessions of different lengths sit side by side (a 15-minute test session does
not replace the day's 12 hours); a lookup takes the one with the most time left.
Entries of Version 1 (before endpoints counted) are never used, and the next
write deletes them. Deleting entries is store.cleanup's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat

from mfaenv.errors import MfaenvError
from mfaenv.plan import Session
from mfaenv.store.cachedir import POSIX, STALE, Folder, Refused, opened

try:  # CPython's own SHA-256: hashlib would load OpenSSL, 6 ms of every cached login
    from _sha256 import sha256 as _sha256  # Python < 3.12
except ImportError:
    try:
        from _sha2 import sha256 as _sha256  # type: ignore[no-redef]  # Python >= 3.12
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[no-redef]


#: Only files named like this are ever read, pruned or deleted here.
ENTRY = re.compile(r"[0-9a-f]{24}-[0-9a-f]{24}\.json\Z")


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


def prefix(profile: str, key_id: str, kind: str = "") -> str:
    # `kind` keeps role sessions apart from MFA sessions even for a profile that is both
    # (a role whose source_profile is itself); MFA sessions keep their v1 names.
    return _digest("mfaenv-v1", profile, key_id) if not kind else _digest("mfaenv-v1", kind, profile, key_id)


#: The entries this version writes and reads; older ones are deleted by the next write.
VERSION = 2


def _name(profile: str, key_id: str, what: str, kind: str, endpoint: str, duration: int | None) -> str:
    return f"{prefix(profile, key_id, kind)}-{_digest(what, endpoint, str(duration))}.json"


def lookup(
    base: str,
    profile: str,
    key_id: str,
    serial: str | None,
    now: dt.datetime,
    margin: int,
    duration: int | None = None,
    kind: str = "",
    endpoint: str = "aws",
) -> Session | None:
    """The cached session with the most time left, if more than `margin` seconds; else None.

    Only a session the same STS `endpoint` issued will do. Without a serial (the
    device would be looked up in IAM), any entry of this profile and key will do:
    it was made with one of the caller's devices. With a `duration` the user
    asked for, only a session made with that duration will do: a cached 12-hour
    session is no answer to `--duration 1h`; without one, any length will.
    For a role session (kind "role"), `serial` is the whole request it stands for.
    """
    with opened(base, create=False) as d:
        if d is None:
            return None
        start = prefix(profile, key_id, kind) + "-"
        want = {"Version": VERSION, "Endpoint": _digest(endpoint)}
        if serial:
            want["For"] = _digest(serial)
        best: Session | None = None
        for name in d.names():
            if not (ENTRY.match(name) and name.startswith(start)):
                continue
            session = _read(d, name, profile, want, duration)
            left = (session.expiration - now).total_seconds() if session and session.expiration else 0
            if session and left > margin and (best is None or session.expiration > best.expiration):  # type: ignore[operator]
                best = session
        return best


def _entry(d: Folder, name: str) -> bytes | None:
    """An entry's bytes: a regular file of ours that nobody else can read; None if absent or too large."""
    what = "the session cache entry"
    got = d.read(name, what)
    if got is None:
        return None
    data, info = got
    if POSIX and info.st_mode & 0o077:
        raise Refused(
            what,
            os.path.join(d.path, name),
            f"its mode is {stat.filemode(info.st_mode)} (others could read the session)",
            "delete it, or `chmod 600` it if you trust it",
        )
    return data


def _read(d: Folder, name: str, profile: str, want: dict[str, object], duration: int | None) -> Session | None:
    data = _entry(d, name)
    if data is None:
        return None  # no entry, or one too large to be ours
    try:
        doc = json.loads(data)
        exp = _when(doc.get("Expiration"))
        key, secret, token = doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # damaged: treated as absent, replaced by the next login
    if exp is None or not all(isinstance(v, str) and v for v in (key, secret, token)):
        return None
    if any(doc.get(k) != v for k, v in want.items()):
        return None  # another endpoint's, device's or request's session, or an older version's
    if duration is not None and doc.get("DurationSeconds") != duration:
        return None
    return Session(key, secret, token, exp, profile)


def store(
    base: str,
    profile: str,
    key_id: str,
    serial: str,
    session: Session,
    now: dt.datetime,
    duration: int | None = None,
    kind: str = "",
    about: dict[str, str | None] | None = None,
    endpoint: str = "aws",
) -> None:
    """Write the entry atomically with mode 0600, and drop expired (and Version 1) entries and dead writers' temp files.

    `about` adds what `mfaenv list` shows of a role session (its ARN, source
    profile, MFA device): never a secret. For a role session, `serial` is the
    request (as for lookup) and `about` holds the MFA serial.
    """
    doc = {
        "Version": VERSION,
        "Profile": profile,
        "SerialNumber": serial,
        # Digests, compared by lookup: the endpoint that issued it, and the device or request it answers.
        "Endpoint": _digest(endpoint),
        "For": _digest(serial),
        **(about or {}),
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": session.expiration.astimezone(dt.timezone.utc).isoformat() if session.expiration else None,
        # What the session was asked for, so a login asking for another duration does not get it.
        "DurationSeconds": duration,
        # For `mfaenv list`: which long-term key made it, as consoles show a key (not usable).
        "SourceKey": f"{key_id[:4]}...{key_id[-4:]}",
    }
    with opened(base, create=True) as d:
        assert d is not None
        d.drop_leftovers(STALE)
        d.write(_name(profile, key_id, serial, kind, endpoint, duration), json.dumps(doc).encode("utf-8"))
        for name in d.names():
            if ENTRY.match(name):
                with contextlib.suppress(OSError, ValueError, AttributeError, MfaenvError):
                    old = entry_doc(d, name)
                    exp = _when(old.get("Expiration"))
                    if exp is None or exp <= now or old.get("Version") == 1:
                        d.unlink(name)


def _bytes(d: Folder, name: str) -> bytes:
    data = _entry(d, name)
    if data is None:
        raise ValueError(name)
    return data


def entries(base: str, now: dt.datetime) -> list[dict[str, object]]:
    """Every entry, for `mfaenv list`: what it is for and when it ends, or why it is not used.

    Never a secret: the session's key id is kept only to tell which one a shell holds.
    """
    out: list[dict[str, object]] = []
    with opened(base, create=False) as d:
        for name in d.names() if d is not None else []:
            if not ENTRY.match(name):
                continue
            row: dict[str, object] = {"file": name}
            try:
                doc = entry_doc(d, name)  # type: ignore[union-attr]
                exp = _when(doc.get("Expiration"))
                if exp is None or not isinstance(doc.get("Profile"), str):
                    raise ValueError
            except Refused as e:
                row["problem"] = f"refused: {e.why}; `mfaenv clear` removes it"
            except (OSError, ValueError, AttributeError, TypeError):
                row["problem"] = "damaged: not a session mfaenv can read; `mfaenv clear` removes it"
            else:
                if doc.get("Version") != VERSION:
                    row["problem"] = "made by an older mfaenv, never used; the next login or `mfaenv clear` removes it"
                    out.append(row)
                    continue
                length = doc.get("DurationSeconds")
                row.update(
                    profile=doc["Profile"],
                    length=length if isinstance(length, int) and not isinstance(length, bool) else None,
                    role=doc.get("RoleArn") if isinstance(doc.get("RoleArn"), str) else None,
                    serial=doc.get("SerialNumber") if isinstance(doc.get("SerialNumber"), str) else None,
                    source_key=doc.get("SourceKey") if isinstance(doc.get("SourceKey"), str) else None,
                    expires=exp,
                    seconds_left=int((exp - now).total_seconds()),
                    session_key=doc.get("AccessKeyId") if isinstance(doc.get("AccessKeyId"), str) else None,
                )
            out.append(row)
    return out


def entry_doc(d: Folder, name: str) -> dict[str, object]:
    """An entry's JSON document; ValueError if absent, too large or not JSON."""
    return json.loads(_bytes(d, name))
