"""The pass password store as a store (store.keystore). I/O edge."""

from __future__ import annotations

from mfaenv.errors import Exit, MfaenvError


def which(program: str) -> str | None:
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

        exe = which("pass")
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

    def check(self) -> None:
        """pass is installed and its store set up: before `add` asks anything."""
        import os

        if which("pass") is None:
            raise MfaenvError("--keyring pass needs the pass password store, and `pass` is not installed")
        root = os.environ.get("PASSWORD_STORE_DIR") or os.path.expanduser("~/.password-store")
        # pass looks for .gpg-id from the item's folder up to the store's root.
        if not any(os.path.isfile(os.path.join(root, *sub, ".gpg-id")) for sub in ((), ("mfaenv",))):
            raise MfaenvError(f"the pass password store ({root}) is not set up; run `pass init YOUR-GPG-KEY-ID` first")

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
