"""The encrypted key file: for machines without an OS keyring (headless Linux, WSL, containers). I/O edge.

One JSON file (default $XDG_DATA_HOME/mfaenv/keys.json; MFAENV_KEYFILE moves it),
mode 0600 in a 0700 folder, written atomically under a lock:

    {"Version": 1, "KDF": {"Name": "scrypt", "Salt": "...", "N": 131072, "R": 8, "P": 1}, "Data": "<Fernet token>"}

Data decrypts to {"mfaenv:PROFILE": {"KEYID": "SECRET"}}, so the file shows
neither which profiles nor which keys it holds. The key is derived from a
passphrase with scrypt (N=2^17, r=8, p=1: OWASP's minimum) and the data sealed
with Fernet (AES-128-CBC with HMAC-SHA256: authenticated, a wrong passphrase or
a changed byte fails to open). Both come from `cryptography` (pyca), which the
Secret Service client already depends on.

The passphrase is asked on the terminal, and only when a secret is needed (a
fresh STS call, add, remove, rotate): a cached login never opens this file.
MFAENV_KEYFILE_PASSPHRASE supplies it instead, for unattended use; that is
weaker, as anything that can read the environment can then open the file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import stat
import sys
from pathlib import Path

from mfaenv.errors import Exit, MfaenvError, oneline
from mfaenv.inputs import absolute_path
from mfaenv.store import atomic

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
#: The scrypt costs a file may name: mfaenv's r and p, and N from 2**14 to 2**18 (at most 256 MiB and a
#: second or two). They are read before anything in the file is authenticated: a changed cost (p = 2**20:
#: days; N = 3: a crash) must never reach scrypt.
ALLOWED_N = frozenset(2**i for i in range(14, 19))
PASSPHRASE_VAR = "MFAENV_KEYFILE_PASSPHRASE"
MAX_BYTES = 1 << 20  # a file of keys is a few hundred bytes; refuse to parse anything huge
ATTEMPTS = 3


def default_path(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    given = env.get("MFAENV_KEYFILE")
    if given:
        return absolute_path("MFAENV_KEYFILE", given, "~/.local/share/mfaenv/keys.json")
    if sys.platform.startswith("linux"):
        xdg = env.get("XDG_DATA_HOME", "").strip()
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.local/share")
        return os.path.join(base, "mfaenv", "keys.json")
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("mfaenv", appauthor=False), "keys.json")


class KeyFile:
    """get/put/delete of secrets by (profile, key id) in one encrypted file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = f"encrypted key file {path}"
        self._key: tuple[str, bytes] | None = None  # (salt, Fernet key), derived once per process

    @classmethod
    def default(cls) -> KeyFile:
        return cls(default_path())

    def check(self) -> None:
        """The file is mfaenv's and its folder private, if they exist: before `add` asks anything."""
        folder = os.path.dirname(self.path)
        if os.path.lexists(folder):
            _check_folder(folder, self.name)
        self._load()

    def get(self, profile: str, key_id: str) -> str | None:
        doc = self._load()
        if doc is None:
            return None
        value = self._open(doc).get(_service(profile), {}).get(key_id)
        return value if isinstance(value, str) else None

    def put(self, profile: str, key_id: str, secret: str) -> None:
        with self._locked():
            doc = self._load()
            items = self._open(doc) if doc is not None else {}
            items.setdefault(_service(profile), {})[key_id] = secret
            self._save(doc, items)

    def delete(self, profile: str, key_id: str) -> bool:
        with self._locked():
            doc = self._load()
            if doc is None:
                return False
            items = self._open(doc)
            found = items.get(_service(profile), {}).pop(key_id, None) is not None
            if found:
                if not items[_service(profile)]:
                    del items[_service(profile)]
                self._save(doc, items)
            return found

    # -- the file -------------------------------------------------------------------

    def _load(self) -> dict[str, Any] | None:
        try:
            # No link followed, no FIFO waited on: the folder may be reachable by others.
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None
        except OSError as e:
            raise MfaenvError(f"cannot read the {self.name}: {e.strerror}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise MfaenvError(f"refusing the {self.name}: {self.path} is not a regular file; move it away")
        with os.fdopen(fd, "rb") as f:
            if os.name != "nt" and (info.st_uid != os.getuid() or info.st_mode & 0o077):
                raise MfaenvError(
                    f"refusing the {self.name}: it must belong to you and be readable by you only (chmod 600)"
                )
            data = f.read(MAX_BYTES + 1)
        try:
            doc = json.loads(data) if len(data) <= MAX_BYTES else None
            ok = _well_formed(doc)
        except (ValueError, TypeError, KeyError, AttributeError):
            ok = False
        if not ok:
            raise MfaenvError(f"the {self.name} is damaged or not mfaenv's; move it away (keys in it are lost)")
        return doc  # type: ignore[no-any-return]

    def _open(self, doc: dict[str, Any]) -> dict[str, dict[str, str]]:
        from cryptography.fernet import Fernet, InvalidToken

        kdf = doc["KDF"]
        given = os.environ.get(PASSPHRASE_VAR)
        for attempt in range(1 if given is not None else ATTEMPTS):
            if self._key is not None and self._key[0] == kdf["Salt"]:
                key = self._key[1]  # this process already opened (or wrote) the file
            else:
                key = self._derive(kdf, given if given is not None else _ask_passphrase(self.path, confirm=False))
            try:
                items = json.loads(Fernet(key).decrypt(doc["Data"].encode("ascii")))
            except (InvalidToken, ValueError, UnicodeError):
                self._key = None
                if given is None and attempt < ATTEMPTS - 1:
                    _tell("mfaenv: wrong passphrase, try again\n")
                continue
            if not isinstance(items, dict):
                break
            return items
        source = f" from {PASSPHRASE_VAR}" if given is not None else ""
        raise MfaenvError(f"wrong passphrase{source} for the {self.name} (or the file was changed)", Exit.AUTH)

    def _derive(self, kdf: dict[str, Any], passphrase: str) -> bytes:
        if self._key is not None and self._key[0] == kdf["Salt"]:
            return self._key[1]
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        salt = base64.b64decode(kdf["Salt"])
        raw = Scrypt(salt=salt, length=32, n=kdf["N"], r=kdf["R"], p=kdf["P"]).derive(passphrase.encode("utf-8"))
        key = base64.urlsafe_b64encode(raw)
        self._key = (kdf["Salt"], key)
        return key

    def _save(self, doc: dict[str, Any] | None, items: dict[str, dict[str, str]]) -> None:
        from cryptography.fernet import Fernet

        if doc is None:  # a new file: a new salt and a passphrase typed twice
            kdf = {"Name": "scrypt", "Salt": base64.b64encode(os.urandom(16)).decode(), "N": SCRYPT_N, "R": SCRYPT_R}
            kdf["P"] = SCRYPT_P
            given = os.environ.get(PASSPHRASE_VAR)
            key = self._derive(kdf, given if given is not None else _ask_passphrase(self.path, confirm=True))
        else:
            kdf = doc["KDF"]
            if self._key is None or self._key[0] != kdf["Salt"]:  # put() opens the file first: never here
                raise MfaenvError(f"internal: the {self.name} was not opened before writing", Exit.INTERNAL)
            key = self._key[1]
        token = Fernet(key).encrypt(json.dumps(items).encode()).decode("ascii")
        _write_private(self.path, json.dumps({"Version": 1, "KDF": kdf, "Data": token}).encode() + b"\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        folder = os.path.dirname(self.path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        _check_folder(folder, self.name)
        with atomic.locked(Path(self.path)):
            yield


def _well_formed(doc: Any) -> bool:
    """The file's shape, and scrypt costs mfaenv would use: nothing in it is authenticated before the key is derived."""
    import re

    kdf = doc["KDF"]
    costs = [kdf.get(k) for k in ("N", "R", "P")]
    if not all(type(c) is int for c in costs) or costs[0] not in ALLOWED_N or costs[1:] != [SCRYPT_R, SCRYPT_P]:
        return False
    salt, data = kdf.get("Salt"), doc.get("Data")
    return (
        doc.get("Version") == 1
        and kdf.get("Name") == "scrypt"
        and isinstance(salt, str)
        and re.fullmatch(r"[A-Za-z0-9+/]{22}==", salt) is not None  # 16 bytes, as _save makes it
        and isinstance(data, str)
        and re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", data) is not None  # a Fernet token
    )


def _check_folder(folder: str, what: str) -> None:
    """The key file's folder is the user's own and nobody else can write it, as ssh wants of ~/.ssh:
    anyone who can write there can swap, plant or delete the file."""
    if os.name == "nt":
        return
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise MfaenvError(f"refusing the folder of the {what}, {folder}: it is not a plain folder; use another path")
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise MfaenvError(
            f"refusing the folder of the {what}, {folder}: it must be yours and writable by you only "
            f"(chmod go-w {folder}), or set MFAENV_KEYFILE to a path in a private folder"
        )


def _service(profile: str) -> str:
    return f"mfaenv:{profile}"


def _tell(text: str) -> None:
    from mfaenv.terminal import open_tty

    with open_tty() as tty:
        if tty:
            tty[1].write(text)
            tty[1].flush()


def _ask_passphrase(path: str, confirm: bool) -> str:
    from mfaenv.terminal import ask_hidden, open_tty

    with open_tty() as tty:
        if tty is None:
            raise MfaenvError(
                f"no terminal to ask the passphrase of the encrypted key file {path} on; "
                f"run on a terminal, or set {PASSPHRASE_VAR} (weaker: docs/keys.md)"
            )
        for _ in range(ATTEMPTS):
            first = ask_hidden(
                tty,
                "Passphrase for the mfaenv key file: "
                if not confirm
                else f"New passphrase for the mfaenv key file {oneline(path)} (it encrypts your AWS keys): ",
            )
            if not first:
                tty[1].write("mfaenv: the passphrase cannot be empty\n")
                continue
            if not confirm or ask_hidden(tty, "Same passphrase again: ") == first:
                return first
            tty[1].write("mfaenv: the two passphrases differ\n")
        raise MfaenvError(f"no passphrase after {ATTEMPTS} tries")


def _write_private(path: str, data: bytes) -> None:
    atomic.write_atomically(path, data, ".keys.")
