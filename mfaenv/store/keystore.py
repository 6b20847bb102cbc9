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

from mfaenv.errors import Exit, MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    class Store(Protocol):
        name: str

        def get(self, profile: str, key_id: str) -> str | None: ...
        def put(self, profile: str, key_id: str, secret: str) -> None: ...
        def delete(self, profile: str, key_id: str) -> bool: ...


#: Marker keys in the profile's section of the config file (botocore ignores keys it does not know).
MARKER = "mfaenv_keyring"
BACKEND = "mfaenv_keyring_backend"
RETIRED = "mfaenv_keyring_retired"  # set only while a rotation is deleting the old key
KINDS = ("system", "file", "pass")

# A long-term access key id: AKIA and upper-case letters and digits (16-128 characters in all).
_KEY_ID = r"AKIA[A-Z0-9]{12,124}\Z"
# Secret keys are 40 characters of base64 today; allow printable ASCII without blanks.
_SECRET = r"[!-~]{16,128}\Z"
_PROFILE = r"(?a)[\w.@+,:-]{1,64}\Z"

# The keyring library's backends that keep secrets in the OS's own store, best first
# at equal priority. Anything else (keyrings.alt's plaintext file, say) is used only
# when the user names it in keyring's own settings.
_OS_BACKENDS = (
    ("keyring.backends.macOS", "Keyring"),
    ("keyring.backends.Windows", "WinVaultKeyring"),
    ("keyring.backends.SecretService", "Keyring"),
    ("keyring.backends.kwallet", "DBusKeyring"),
    ("keyring.backends.libsecret", "Keyring"),
)


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


def marked(name: str, values: Mapping[str, str]) -> tuple[str, Deferred]:
    """The key id from the profile's marker, and its secret, to be read when needed."""
    key_id = check_key_id(values.get(MARKER, ""), f"{MARKER} of profile {name!r}")
    return key_id, Deferred(kind_of(values), name, key_id)


def open_store(kind: str) -> Store:
    if kind == "file":
        from mfaenv.store.keyfile import KeyFile

        return KeyFile.default()
    if kind == "pass":
        return PassStore()
    return SystemKeyring()


class SystemKeyring:
    """The OS keyring, through the keyring library."""

    def __init__(self) -> None:
        self._backend: Any = None
        self.name = "OS keyring"

    def _ring(self) -> Any:
        if self._backend is None:
            self._backend = _os_keyring()
            self.name = f"OS keyring ({_label(self._backend)})"
        return self._backend

    def get(self, profile: str, key_id: str) -> str | None:
        ring = self._ring()
        return self._call(lambda: ring.get_password(_service(profile), key_id), "read")

    def put(self, profile: str, key_id: str, secret: str) -> None:
        ring = self._ring()
        self._call(lambda: ring.set_password(_service(profile), key_id, secret), "write")

    def delete(self, profile: str, key_id: str) -> bool:
        from keyring.errors import PasswordDeleteError

        ring = self._ring()
        try:
            self._call(lambda: ring.delete_password(_service(profile), key_id), "delete")
        except _Missing:
            return False
        except PasswordDeleteError:
            return False
        return True

    def _call(self, action: Any, what: str) -> Any:
        from keyring.errors import KeyringError, KeyringLocked, NoKeyringError, PasswordDeleteError

        try:
            return action()
        except PasswordDeleteError:
            raise _Missing from None
        except (KeyringLocked, NoKeyringError) as e:
            raise _locked(self.name, e) from None
        except Exception as e:  # noqa: BLE001 - D-Bus, Keychain and Credential Locker errors differ per OS
            if "dismissed" in str(e).lower() or "locked" in str(e).lower() or isinstance(e, KeyringError):
                raise _locked(self.name, e) from None
            raise MfaenvError(f"the {self.name} could not {what} the key: {_first_line(e)}", Exit.INTERNAL) from None


class _Missing(Exception):
    pass


def _service(profile: str) -> str:
    return f"mfaenv:{profile}"


def _locked(name: str, e: Exception) -> MfaenvError:
    return MfaenvError(
        f"the {name} is locked or refused access ({_first_line(e)}); unlock it (log in to the desktop, "
        "or `gnome-keyring-daemon --unlock` with its password on stdin) and try again",
        Exit.AUTH,
    )


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return (text[0][:200].rstrip(". ") if text else "") or type(e).__name__


def _label(backend: Any) -> str:
    return str(getattr(type(backend), "name", type(backend).__name__))


def _os_keyring() -> Any:
    """The user's chosen keyring backend, else the best OS backend; never a plaintext file by default."""
    import importlib

    import keyring.core
    from keyring.backends import fail, null

    try:
        chosen = keyring.core.load_env() or keyring.core.load_config()
    except Exception as e:  # noqa: BLE001 - a bad name or a backend that is not viable
        raise MfaenvError(
            f"the keyring backend named in PYTHON_KEYRING_BACKEND or keyringrc.cfg cannot be used ({_first_line(e)}); "
            "fix or remove that setting"
        ) from None
    if chosen is not None and not isinstance(chosen, (fail.Keyring, null.Keyring)):
        return chosen  # the user named it in keyring's own settings: their choice, plaintext or not
    best, best_priority, reasons = None, 0.0, []
    for module, cls_name in _OS_BACKENDS:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
            priority = float(cls.priority)
        except Exception as e:  # noqa: BLE001 - each backend says why it is not viable its own way
            if module.endswith("SecretService") and "required" not in str(e):
                reasons.append(_first_line(e))
            continue
        if priority > best_priority:
            best, best_priority = cls(), priority
    if best is None:
        raise no_keyring("; ".join(reasons) or "no Secret Service or KWallet on D-Bus")
    return best


def no_keyring(reason: str) -> MfaenvError:
    """The one line for a machine without an OS keyring: what is wrong and every way on."""
    pass_hint = (
        "--keyring pass (the pass password store)" if _which("pass") else "--keyring pass (after installing pass)"
    )
    return MfaenvError(
        f"no OS keyring is available ({reason}); start one (e.g. gnome-keyring in a D-Bus session), or keep the keys "
        f"in --keyring file (an encrypted file, passphrase asked on the terminal) or {pass_hint}; "
        "mfaenv never falls back to a plaintext file"
    )


def _which(program: str) -> str | None:
    import shutil

    return shutil.which(program)


class PassStore:
    """The pass password store (gpg-encrypted files): `pass show|insert|rm mfaenv/PROFILE/KEYID`.

    The secret goes to pass on stdin and comes back on a pipe, never in argv.
    pass is a small shell script over gpg; calling it needs no library.
    """

    name = "pass password store"

    def _run(self, args: list[str], data: bytes | None = None) -> tuple[int, bytes, str]:
        import subprocess

        exe = _which("pass")
        if exe is None:
            raise MfaenvError("the profile's keys are in the pass password store, but `pass` is not installed")
        try:
            done = subprocess.run(
                [exe, *args],
                input=data,
                capture_output=True,
                timeout=120,  # gpg may ask its passphrase through pinentry
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise MfaenvError("pass did not finish within 120 s") from None
        except OSError as e:
            raise MfaenvError(f"cannot run pass: {e.strerror}") from None
        return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")

    def _fail(self, what: str, err: str) -> MfaenvError:
        first = err.strip().splitlines()[0][:200] if err.strip() else "no reason given"
        if "pass init" in err:
            return MfaenvError(
                f"the pass password store is not set up ({first}); run `pass init YOUR-GPG-KEY-ID` first"
            )
        return MfaenvError(f"pass could not {what} the key: {first}", Exit.AUTH)

    def get(self, profile: str, key_id: str) -> str | None:
        code, out, err = self._run(["show", _pass_name(profile, key_id)])
        if code != 0:
            if "is not in the password store" in err:
                return None
            raise self._fail("read", err)
        lines = out.decode("utf-8", "replace").splitlines()
        return lines[0] if lines else None

    def put(self, profile: str, key_id: str, secret: str) -> None:
        code, _, err = self._run(
            ["insert", "--multiline", "--force", _pass_name(profile, key_id)], secret.encode() + b"\n"
        )
        if code != 0:
            raise self._fail("store", err)

    def delete(self, profile: str, key_id: str) -> bool:
        code, _, err = self._run(["rm", "--force", _pass_name(profile, key_id)])
        if code != 0 and "is not in the password store" not in err:
            raise self._fail("delete", err)
        return code == 0


def _pass_name(profile: str, key_id: str) -> str:
    return f"mfaenv/{profile}/{key_id}"
