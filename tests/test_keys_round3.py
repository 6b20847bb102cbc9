"""Keys off the disk, round 3: the key-store findings of issues 19 and 20, each against real parts.

A real Secret Service (gnome-keyring on a private D-Bus), the encrypted key file,
a pass store, moto's IAM and STS on loopback, and a real fish for auto-login.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, make_user
from tests.helpers import Mfaenv
from tests.secretservice import SecretService
from tests.test_keyring import PROFILE, admin_iam, iam_keys, marker, password_store, stored  # noqa: F401
from tests.tty import ENTER

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def work(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """An IAM user for profile `work`, whose keys are in no file: config has only its region and serial."""
    u = make_user(moto_server)
    (isolated / ".aws" / "config").write_text(f"[profile {PROFILE}]\nregion = eu-west-1\nmfa_serial = {u.serial}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    return u


def runner(u: IamUser) -> Mfaenv:
    return Mfaenv(secrets=(u.secret, MOTO_SESSION_SECRET, CODE, PASSPHRASE))


def keys_in(u: IamUser) -> bytes:
    return f"{u.key_id}\n{u.secret}\n".encode()


def add_to_file(u: IamUser, *extra: str) -> None:
    r = runner(u)(
        "add", PROFILE, "--keyring", "file", *extra, input=keys_in(u), env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE}
    )
    assert r.code == 0 and r.out == "", r


def keyfile(isolated: Path) -> Path:
    return isolated / ".local" / "share" / "mfaenv" / "keys.json"


# -- issue 19: the token command sees no secret of a store ---------------------------------------------


def test_token_command_never_sees_the_key_file_passphrase(work: IamUser, isolated: Path, tmp_path: Path) -> None:
    add_to_file(work)
    seen = tmp_path / "env.txt"
    command = f"env > {seen}; echo {CODE}"
    r = runner(work)(
        "login",
        "--profile",
        PROFILE,
        "--token-command",
        command,
        env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE, "KEYRING_CRYPTFILE_PASSWORD": "kcp-secret"},
    )
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
    text = seen.read_text()
    assert PASSPHRASE not in text and "MFAENV_KEYFILE_PASSPHRASE" not in text
    assert "kcp-secret" not in text
    assert "HOME=" in text  # the rest of the environment is there (ykman, op and pass need it)


# -- issue 19: fish's auto-login at the key file's passphrase --------------------------------------------


def test_fish_auto_login_takes_the_key_file_passphrase_typed_with_enter(work: IamUser, isolated: Path) -> None:
    from tests.test_hooks import PROMPT, _set, _show, spawn

    add_to_file(work)
    terminal = spawn("fish", isolated, env={"AWS_PROFILE": PROFILE})
    terminal.shell = "fish"  # type: ignore[attr-defined]
    try:
        past = "1000"
        terminal.enter(_set(terminal, MFAENV_PROFILE=PROFILE, MFAENV_AUTO_LOGIN="1"))
        terminal.expect_exact(PROMPT)
        terminal.enter(_set(terminal, MFAENV_EXPIRES=past))
        terminal.expect_exact("Passphrase for the mfaenv key file")
        terminal.send(PASSPHRASE + ENTER)  # Enter as a terminal sends it: a CR
        terminal.expect_exact("MFA code for")
        terminal.send(CODE + ENTER)
        terminal.expect(r"aws:work 1[12]h[0-9]{2}m ")
        terminal.expect_exact(PROMPT)
        assert PASSPHRASE not in str(terminal.before)
        assert _show(terminal)["secret"] == MOTO_SESSION_SECRET
    finally:
        terminal.close(force=True)
