"""Deleting cache entries: a profile's (logout --forget), all or a profile's (clear), a retired key's (rotate). I/O edge."""

from __future__ import annotations

import contextlib

from mfaenv.errors import MfaenvError
from mfaenv.store.cache import ENTRY, entry_doc, prefix
from mfaenv.store.cachedir import opened


def forget(base: str, profile: str) -> int:
    """Delete every entry of `profile` (and the role sessions made from it), and every temp file a
    write left; the number of entries deleted."""
    count = 0
    with opened(base, create=False) as d:
        if d is None:
            return 0
        # Whatever their age: the user asked for the secrets to go. A write racing
        # this loses its rename and says "could not cache the session".
        d.drop_leftovers(0)
        for name in d.names():
            if ENTRY.match(name):
                with contextlib.suppress(OSError, ValueError, AttributeError, MfaenvError):
                    if _belongs(entry_doc(d, name), profile):
                        d.unlink(name)
                        count += 1
    return count


def _belongs(doc: dict[str, object], profile: str) -> bool:
    """An entry is a profile's if it is that profile's session, or a role session made from its keys."""
    return profile in (doc.get("Profile"), doc.get("SourceProfile"))


def clear(base: str, profile: str | None) -> int:
    """Delete every entry (or `profile`'s, including its roles'), and every temp file a write left; the number deleted."""
    count = 0
    with opened(base, create=False) as d:
        if d is None:
            return 0
        d.drop_leftovers(0)  # as `logout --forget`: the user asked for the secrets to go
        for name in d.names():
            if not ENTRY.match(name):
                continue
            if profile is not None:
                try:
                    if not _belongs(entry_doc(d, name), profile):
                        continue
                except (OSError, ValueError, AttributeError, MfaenvError):
                    continue  # not readable as this profile's: `clear` without a profile removes it
            with contextlib.suppress(FileNotFoundError):
                d.unlink(name)
                count += 1
    return count


def forget_key(base: str, profile: str, key_id: str) -> int:
    """Delete the entries of one long-term key of `profile` (after `rotate` retired it), the role
    sessions it signed for included; the number deleted."""
    count = 0
    hint = f"{key_id[:4]}...{key_id[-4:]}"
    with opened(base, create=False) as d:
        if d is None:
            return 0
        for name in d.names():
            if not ENTRY.match(name):
                continue
            mine = name.startswith(prefix(profile, key_id) + "-")
            if not mine:
                with contextlib.suppress(OSError, ValueError, AttributeError, MfaenvError):
                    doc = entry_doc(d, name)
                    # A role session is named by its own profile: known by its source and key.
                    mine = doc.get("SourceProfile") == profile and doc.get("SourceKey") == hint
            if mine:
                with contextlib.suppress(OSError):
                    d.unlink(name)
                    count += 1
    return count
