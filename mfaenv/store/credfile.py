"""Writing a session into the AWS credentials file (and mfa_serial into the config file).

This file holds the user's long-term keys, so every other byte must survive:
configupdater keeps comments, order, spacing and blank lines as they were;
the read-modify-write happens under a file lock (filelock) so concurrent
writers cannot lose each other's sections; the new text goes to a temp file in
the same folder, is fsynced and renamed over the old one, so a crash leaves
the old file or the new one, never a mix. Mode 0600 is kept or set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mfaenv.errors import MfaenvError
from mfaenv.plan import Session, iso_utc
from mfaenv.store import atomic
from mfaenv.store.config import read_aws_file

#: The key that marks a section as ours (botocore ignores keys it does not know).
MARKER = "mfaenv_source_profile"
_LONG_TERM = ("aws_access_key_id", "aws_secret_access_key")
_SESSION_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "expiration", "region", MARKER)


def write_session(path: Path, name: str, session: Session, source: str, warn: Callable[[str], None]) -> None:
    """Put `session` into section [name], refusing a section of long-term keys we did not write."""
    _check_line("section name", name, path)
    for key, value in (
        ("aws_access_key_id", session.access_key_id),
        ("aws_secret_access_key", session.secret_access_key),
        ("aws_session_token", session.session_token),
        ("region", getattr(session, "region", None)),
        (MARKER, source),
    ):
        _check_line(f"value of {key}", value, path)

    def change(doc: Any) -> None:
        if doc.has_section(name):
            section = doc[name]
            if MARKER not in section:
                # Keys, a credential_process, settings: whatever it is, it is the user's.
                what = "long-term keys" if any(k in section for k in _LONG_TERM) else "settings"
                raise MfaenvError(
                    f"section [{name}] of {path} holds {what} that mfaenv did not write; "
                    "pick another name for --write-profile"
                )
        else:
            doc.add_section(name)
        section = doc[name]
        values = {
            "aws_access_key_id": session.access_key_id,
            "aws_secret_access_key": session.secret_access_key,
            "aws_session_token": session.session_token,
            "expiration": iso_utc(session.expiration) if session.expiration else None,
            # botocore and the JS SDK read a credentials-file `region` as the profile's.
            "region": getattr(session, "region", None),
            MARKER: source,
        }
        for key, value in values.items():
            if value is None:
                if key in section:
                    del section[key]
            else:
                section[key] = value

    edit(path, change, warn, private=True)


def remove_session(path: Path, name: str, warn: Callable[[str], None]) -> bool:
    """Remove section [name] if mfaenv wrote it; False if there is none."""
    _check_line("section name", name, path)
    found = []

    def change(doc: Any) -> None:
        if not doc.has_section(name):
            return
        if MARKER not in doc[name]:
            raise MfaenvError(
                f"section [{name}] of {path} was not written by mfaenv; remove it yourself if you mean to"
            )
        doc.remove_section(name)
        found.append(name)

    if path.exists():
        edit(path, change, warn, private=True)
    return bool(found)


def set_value(
    path: Path, section: str, key: str, value: str, warn: Callable[[str], None], lock: Path | None = None
) -> None:
    """Set one key (e.g. mfa_serial in the config file, which holds no secret: its mode is kept).

    `lock`: the file whose lock guards the edit. The config file's edits take the
    credentials file's lock, so mfaenv leaves one lock file in ~/.aws, not two.
    """
    for what, text in (("section name", section), ("key", key), (f"value of {key!r}", value)):
        _check_line(what, text, path)

    def change(doc: Any) -> None:
        if not doc.has_section(section):
            doc.add_section(section)
        doc[section][key] = value

    edit(path, change, warn, lock=lock)


def update_section(
    path: Path,
    section: str,
    changes: dict[str, str | None],
    warn: Callable[[str], None],
    create: bool = True,
    private: bool = False,
    lock: Path | None = None,
) -> dict[str, str]:
    """Set (or, for None, remove) keys of one section in one atomic edit; the old values of the keys it touched.

    Only the lines of those keys change (a removed key takes its line with it); a
    section is added if missing and `create`. Used to move keys out of the
    credentials file (`private`: it holds secrets, so 0600) and to flip the
    keyring marker in the config file (`lock`: as in set_value).
    """
    _check_line("section name", section, path)
    for key, value in changes.items():
        _check_line("key", key, path)
        _check_line(f"value of {key!r}", value, path)
    old: dict[str, str] = {}

    def change(doc: Any) -> None:
        if not doc.has_section(section):
            if not create or all(v is None for v in changes.values()):
                return
            doc.add_section(section)
        values = doc[section]
        for key, value in changes.items():
            if key in values:
                old[key] = (values[key].value or "").strip()
            if value is None:
                if key in values:
                    del values[key]
            elif key in values:
                values[key] = value
            else:
                _add_in_block(values, key, value)

    if create or path.exists():
        edit(path, change, warn, private, lock)
    return old


def _add_in_block(section: Any, key: str, value: str) -> None:
    """A new key after the section's last one, so it stays above the blank lines (and comments)
    that separate the section from the next (configupdater alone appends below them)."""
    from configupdater import Option

    blocks = list(section.iter_blocks())
    options = [b for b in blocks if isinstance(b, Option)]
    if options:
        options[-1].add_after.option(key, value)
    elif blocks:
        blocks[0].add_before.option(key, value)
    else:
        section[key] = value


def _check_line(what: str, text: str | None, path: Path) -> None:
    """Refuse a control character in anything we write: these files are read line by line.

    A CR or LF inside a value starts a new line, and so a new profile or a
    credential_process that runs on the next SDK call. Every caller checks its
    values already; this is the last guard, whoever calls.
    """
    if text is None:
        return
    bad = next((c for c in text if c < " " or "\x7f" <= c <= "\x9f" or c in "\u2028\u2029"), None)
    if bad is not None:
        raise MfaenvError(
            f"refusing to write a {what} holding a control character (U+{ord(bad):04X}) into {path}; "
            "it was left as it was"
        )


def edit(
    path: Path,
    change: Callable[[Any], None],
    warn: Callable[[str], None],
    private: bool = False,
    lock: Path | None = None,
) -> None:
    """Read, change and replace the file under its lock; the file is parsed before anything is written.

    `private`: the file holds secrets, so it is made 0600; otherwise its mode is kept.
    `lock`: take this file's lock instead of the edited file's own.
    """
    from configupdater import ConfigUpdater

    target = Path(os.path.realpath(path))  # a symlinked file is edited where it points
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with atomic.locked(Path(os.path.realpath(lock)) if lock else target):
        atomic.drop_leftovers(target)
        raw = read_aws_file(str(target), f"file {target}", named=False) or b""
        text, newline = _decode(raw, target)
        if text and not text.endswith("\n"):
            # configupdater 3 (the last for Python 3.9) would glue a new section onto
            # the last line; the file gains the final newline it lacked (docs/commands.md).
            text += "\n"
        doc = ConfigUpdater(allow_no_value=False, strict=True)
        try:
            doc.read_string(text, source=str(target))
        except Exception as e:  # noqa: BLE001 - configupdater raises configparser's errors and its own
            raise MfaenvError(f"cannot parse {target}: {_first_line(e)}; it was left as it was") from None
        change(doc)
        out = str(doc)
        if out == text and target.exists():
            return
        data = (out.replace("\n", "\r\n") if newline == "\r\n" else out).encode("utf-8")
        atomic.replace(target, data, warn, private)


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raise MfaenvError(
            f"cannot edit {path}: it starts with a byte order mark (BOM), which botocore cannot read; save it as UTF-8 without BOM"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MfaenvError(f"cannot parse {path}: byte {e.start} is not UTF-8 text; it was left as it was") from None
    if "\0" in text:
        raise MfaenvError(f"cannot parse {path}: it holds NUL bytes (binary data); it was left as it was")
    crlf = text.count("\r\n")
    if crlf and crlf != text.count("\n"):
        raise MfaenvError(f"cannot edit {path}: it mixes CRLF and LF line ends; make them one kind first")
    return text.replace("\r\n", "\n") if crlf else text, "\r\n" if crlf else "\n"


def _first_line(e: Exception) -> str:
    # configparser's later lines quote the offending line, which may hold a key.
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    line = getattr(e, "lineno", None)
    return f"{text} (line {line})" if line and "line" not in text else text
