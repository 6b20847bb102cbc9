"""Long-term keys off the disk: the stores that hold a profile's secret key. I/O edge.

A profile whose keys are in a store carries a marker in ~/.aws/config:

    [profile work]
    mfaenv_keyring = AKIAIOSFODNN7EXAMPLE
    mfaenv_keyring_backend = file
    credential_process = mfaenv credential-process --profile work

mfaenv_keyring is the key id, whose secret is in the store; mfaenv_keyring_backend
is there only when the store is not the OS keyring.

The key id is not a secret (AWS shows it in the console, in CloudTrail and in
its own error messages), and keeping it in the marker means a login served
from the session cache, whose entry is named by (profile, key id), never opens
the keyring: no D-Bus round trip, no unlock prompt, no passphrase. The secret
is read only when a call needs it (a fresh STS call, rotate). mfaenv never runs
a credential_process, so a profile whose credential_process is mfaenv's own
cannot loop: with the marker, the keys come from the store.

Each secret is one item named by (profile, key id) and never changed once
written; the marker is the pointer, flipped by one atomic file write. That is
what keeps `rotate` safe when killed at any step (mfaenv.flow.rotate).

Stores: "system", the OS keyring through the `keyring` library (macOS Keychain,
Windows Credential Locker, Secret Service or KWallet on Linux); "file", an
encrypted file (mfaenv.store.keyfile); "pass", the pass password store. A plaintext
backend is never chosen for the user: keyring's own choice is asked only for
the OS backends, unless PYTHON_KEYRING_BACKEND or keyringrc.cfg name one.
"""

from __future__ import annotations

import re

from mfaenv.errors import MfaenvError
from mfaenv.store.config import KEYRING_MARKER

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol

    from mfaenv.store.config import SourceProfile

    class Store(Protocol):
        name: str

        def check(self) -> None: ...
        def get(self, profile: str, key_id: str) -> str | None: ...
        def put(self, profile: str, key_id: str, secret: str) -> None: ...
        def delete(self, profile: str, key_id: str) -> bool: ...


#: Marker keys in the profile's section of the config file (botocore ignores keys it does not know).
MARKER = KEYRING_MARKER
BACKEND = "mfaenv_keyring_backend"
RETIRED = "mfaenv_keyring_retired"  # set only while a rotation is deleting the old key
KINDS = ("system", "file", "pass")

# A long-term access key id: AKIA and upper-case letters and digits (16-128 characters in all).
_KEY_ID = r"AKIA[A-Z0-9]{12,124}\Z"
# Secret keys are 40 characters of base64 today; allow printable ASCII without blanks.
_SECRET = r"[!-~]{16,128}\Z"
_PROFILE = r"(?a)[\w.@+,:-]{1,64}\Z"


def check_key_id(key_id: str, source: str) -> str:
    key_id = key_id.strip()
    if key_id.startswith("ASIA"):
        raise MfaenvError(
            f"the access key id from {source} is a temporary key (ASIA...); store the IAM user's AKIA... key"
        )
    if not re.match(_KEY_ID, key_id):
        raise MfaenvError(
            f"the access key id from {source} is not an IAM user's long-term key id "
            "(AKIA followed by 16 upper-case letters and digits)"
        )
    return key_id


def check_secret(secret: str, source: str) -> str:
    secret = secret.strip()
    if not re.match(_SECRET, secret):
        # Never quote it: it is the secret.
        raise MfaenvError(f"the secret access key from {source} is not one (16-128 printable characters, no blanks)")
    return secret


def check_profile(name: str) -> str:
    if not re.match(_PROFILE, name):
        raise MfaenvError(f"profile name {name!r} is not one mfaenv stores: use letters, digits and . _ - @ + , :")
    return name


def hint(key_id: str) -> str:
    return f"{key_id[:4]}...{key_id[-4:]}"


def kind_of(values: Mapping[str, str]) -> str:
    kind = values.get(BACKEND, "").strip() or "system"
    if kind not in KINDS:
        raise MfaenvError(f"{BACKEND} = {kind!r} is not a store mfaenv knows; use one of {', '.join(KINDS)}")
    return kind


def choose_kind(option: str | None, env: Mapping[str, str]) -> str:
    """--keyring, else MFAENV_KEYRING, else the OS keyring."""
    kind = option or env.get("MFAENV_KEYRING") or "system"
    if kind not in KINDS:
        raise MfaenvError(
            f"--keyring/MFAENV_KEYRING {kind!r} is not a store mfaenv knows; use one of {', '.join(KINDS)}"
        )
    return kind


class Deferred:
    """A profile's secret, read from its store on first use: a cached login never opens the store."""

    __slots__ = ("_kind", "_profile", "_key_id", "_value")

    def __init__(self, kind: str, profile: str, key_id: str) -> None:
        self._kind, self._profile, self._key_id = kind, profile, key_id
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            store = open_store(self._kind)
            secret = store.get(self._profile, self._key_id)
            if secret is None:
                raise MfaenvError(
                    f"the {store.name} holds no secret for profile {self._profile!r} (key {hint(self._key_id)}); "
                    f"store it again with `mfaenv add {self._profile}`"
                )
            self._value = check_secret(secret, f"the {store.name}")
        return self._value

    def __repr__(self) -> str:  # never the secret
        return f"<secret of {hint(self._key_id)} in the {self._kind} store>"


def attach(profile: SourceProfile) -> SourceProfile:
    """The profile with its stored secret to be read when needed, if a marker names one (else as it is)."""
    if not profile.settings.get(MARKER, "").strip():
        return profile
    key_id = check_key_id(profile.settings.get(MARKER, ""), f"{MARKER} of profile {profile.name!r}")
    return profile._replace(
        access_key_id=key_id, secret_access_key=Deferred(kind_of(profile.settings), profile.name, key_id)
    )


def open_store(kind: str) -> Store:
    if kind == "file":
        from mfaenv.store.keyfile import KeyFile

        return KeyFile.default()
    if kind == "pass":
        from mfaenv.store.passstore import PassStore

        return PassStore()
    from mfaenv.store.oskeyring import SystemKeyring

    return SystemKeyring()
