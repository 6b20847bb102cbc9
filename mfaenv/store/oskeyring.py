"""The OS keyring as a store (store.keystore): macOS Keychain, Windows Credential Locker, Secret Service or KWallet. I/O edge.

Through the `keyring` library, imported only when a secret is read or written.
Only its OS backends are asked, so a plaintext backend (keyrings.alt) never
outranks them unless PYTHON_KEYRING_BACKEND or keyringrc.cfg name one.
"""

from __future__ import annotations

from mfaenv.errors import Exit, MfaenvError
from mfaenv.store.passstore import which

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

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

    def check(self) -> None:
        """There is an OS keyring, and it answers (unlocked): before `add` asks anything."""
        ring = self._ring()
        self._call(lambda: ring.get_password(_service("-"), "-"), "read")

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


#: What unlocks gnome-keyring without a desktop. A plain `--unlock` starts a second daemon that
#: leaves the running one locked; `--replace` takes its place, unlocked (or creates the login
#: keyring with that password), as tests/test_keys_round3.py checks with the real daemon.
UNLOCK = "gnome-keyring-daemon --replace --unlock --components=secrets"


def _locked(name: str, e: Exception) -> MfaenvError:
    how = (
        f"log in to the desktop, or give its password to `{UNLOCK}` on stdin"
        if "secret" in name.lower()  # Secret Service (gnome-keyring), directly or through libsecret
        else "log in to the desktop, or unlock it in the OS's keychain tool"
    )
    return MfaenvError(
        f"the {name} is locked or refused access ({_first_line(e)}); unlock it ({how}) and try again", Exit.AUTH
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
        "--keyring pass (the pass password store)" if which("pass") else "--keyring pass (after installing pass)"
    )
    return MfaenvError(
        f"no OS keyring is available ({reason}); start one (e.g. gnome-keyring in a D-Bus session), or keep the keys "
        f"in --keyring file (an encrypted file, passphrase asked on the terminal) or {pass_hint}; "
        "mfaenv never falls back to a plaintext file"
    )
