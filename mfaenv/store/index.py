"""A parsed index of each AWS file, kept in the cache's private folder, so a call reads only the sections it needs.

configparser reads a 5,000-profile config (560 KB) in half a second; a cached
login needs two of its sections. So the first call after an edit parses the
whole file (store.sections, exactly as botocore does) and writes, per file,
the names of its sections, where each starts and ends, and which of
sections.NOTABLE it sets: names and offsets only, never a value, so the
credentials file's secrets stay in that file alone. Later calls read the file
(a read of 560 KB is a fraction of a millisecond), check that its identity
(device, inode, size, mtime and ctime in ns) is the index's, and parse only the
sections they ask for, each alone.

Checked on every call, so an edit is seen at once. ctime changes with every
write and nobody can set it, but file systems stamp times from a coarse clock:
an index built within RACY_NS of the file's last change is not trusted (git's
"racily clean" entries), lest a second same-size edit in the same tick keep
the stamp. The index lives in `index/` beside the sessions folder, checked as
that folder is (store.cachedir), written atomically, 0600. Without a usable
folder (MFAENV_NO_CACHE, a refused folder) every call parses the whole file.
"""

from __future__ import annotations

import json
import os
import time
import zlib

from mfaenv.store import sections, views
from mfaenv.store.views import FileView

VERSION = 1
#: Changes closer than this to the index's build are not trusted (file systems
#: with coarse times: ext4's clock tick, 1 s on HFS+, 2 s on FAT).
RACY_NS = 2_000_000_000
#: An index is far smaller than its file (names and numbers); the file is at most config.MAX_FILE_BYTES.
_MAX_INDEX = 4 << 20


def whole(data: bytes, path: str) -> FileView:
    """Every section, parsed now; sections.ParseError for a file botocore cannot read."""
    views.count_parse()
    return FileView.whole(sections.parse(data, path)[0])


def view(data: bytes, info: os.stat_result, path: str, kind: str, folder: str | None) -> FileView:
    """The sections of the file `path` (its bytes and fstat), through the index in `folder` when it can.

    folder: the session cache folder (cachedir.path), or None for no index.
    """
    if not data:
        return FileView.whole({})
    if folder is None or len(data) != info.st_size:
        return whole(data, path)
    stamp = [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
    name = f"{kind}-{zlib.crc32(os.path.abspath(path).encode('utf-8', 'surrogateescape')):08x}.json"
    where = os.path.join(os.path.dirname(folder), "index")
    found = _load(where, name, path, stamp, kind)
    if found is not None:
        names, table, profiles = found
        return FileView(data, names, table, None, profiles)
    built = time.time_ns()
    views.count_parse()
    values, bounds = sections.parse(data, path)
    names = list(values)
    if bounds is None or len(data) >= 16**views.OFFSET_DIGITS:
        return FileView.whole(values)
    at = dict(zip(names, range(len(names))))
    winners = sections.config_profiles(names) if kind == "config" else {}
    table = views.Table.encode(bounds, [sections.flags(values[n]) for n in names], [at[s] for s in winners.values()], len(data))
    profiles = dict(zip(winners, range(len(winners)))) if kind == "config" else None
    if built - info.st_ctime_ns > RACY_NS and built - info.st_mtime_ns > RACY_NS:
        # Lists as joined strings: json reads one long string far faster than 5,000 short ones.
        # No section (so no profile) name holds a line break: the file is read line by line.
        doc = {
            "v": VERSION,
            "path": path,
            "stamp": stamp,
            "names": [len(names), "\n".join(names)],
            "profiles": [len(winners), "\n".join(winners)],
            "bounds": table.bounds,
            "bits": table.bits_text,
            "winners": table.winners,
        }
        _save(where, name, json.dumps(doc, separators=(",", ":")).encode())
    return FileView(data, names, table, values, profiles)


def _split(field: object) -> list[str] | None:
    if not (isinstance(field, list) and len(field) == 2 and type(field[0]) is int and isinstance(field[1], str)):
        return None
    out = field[1].split("\n") if field[0] else []
    return out if len(out) == field[0] else None


def _load(where: str, name: str, path: str, stamp: list[int], kind: str) -> tuple[object, ...] | None:
    """(names, table, profiles) from the index of the file whose identity is `stamp`; None if none fits."""
    from mfaenv.store.cachedir import opened

    try:
        with opened(where, create=False) as folder:
            got = folder.read(name, "the AWS file index") if folder else None
    except Exception:  # noqa: BLE001 - a refused or broken folder: parse the file instead
        return None
    if got is None or len(got[0]) > _MAX_INDEX:
        return None
    try:
        doc = json.loads(got[0])
    except ValueError:
        return None
    if not (isinstance(doc, dict) and doc.get("v") == VERSION and doc.get("path") == path):
        return None
    if doc.get("stamp") != stamp:
        return None  # edited (or replaced) since: the first call after an edit parses it again
    # Our own file in our private folder, still checked: a bad entry is read from the file instead (views.Table).
    names, profiles = _split(doc.get("names")), _split(doc.get("profiles"))
    bounds, bits, winners = doc.get("bounds"), doc.get("bits"), doc.get("winners")
    if names is None or profiles is None:
        return None
    if not (isinstance(bounds, str) and isinstance(bits, str) and isinstance(winners, str)):
        return None
    if (len(bounds), len(bits), len(winners)) != (
        2 * views.OFFSET_DIGITS * len(names),
        len(names),
        views.NUMBER_DIGITS * len(profiles),
    ):
        return None
    table = views.Table(bounds, bits, winners, stamp[2])
    by_name = dict(zip(profiles, range(len(profiles)))) if kind == "config" else None
    if by_name is not None and len(by_name) != len(profiles):
        return None
    return names, table, by_name


def _save(where: str, name: str, data: bytes) -> None:
    from mfaenv.store.cachedir import opened

    try:
        with opened(where, create=True) as folder:
            if folder is not None:
                folder.write(name, data)
    except Exception:  # noqa: BLE001 - the index only saves time; the call goes on without it
        return
