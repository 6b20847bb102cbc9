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


# -- issue 19: the key file's scrypt costs are not taken on trust -------------------------------------------

TAMPERED = [
    ("N", 3),  # not a power of two: ValueError inside scrypt
    ("N", True),  # a JSON true is no number
    ("N", 2**30),  # 128 GiB of memory
    ("R", 0),
    ("P", 2**20),  # a million rounds: days
    ("Salt", "!!not base64!!"),
    ("Data", "\u00e9t\u00e9"),
]


@pytest.mark.parametrize(("field", "value"), TAMPERED, ids=[f"{f}={v!r}"[:20] for f, v in TAMPERED])
def test_a_key_file_with_changed_scrypt_costs_is_damaged_in_one_line(
    work: IamUser, isolated: Path, field: str, value: object
) -> None:
    add_to_file(work)
    doc = json.loads(keyfile(isolated).read_text())
    (doc if field == "Data" else doc["KDF"])[field] = value
    keyfile(isolated).write_text(json.dumps(doc))
    line = runner(work).fails(
        "login", "--profile", PROFILE, "--token-code", CODE, code=2, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE}
    )
    assert "is damaged or not mfaenv's" in line


def test_a_key_file_mfaenv_wrote_opens(work: IamUser, isolated: Path) -> None:
    add_to_file(work)
    kdf = json.loads(keyfile(isolated).read_text())["KDF"]
    assert (kdf["N"], kdf["R"], kdf["P"], len(base64.b64decode(kdf["Salt"]))) == (2**17, 8, 1, 16)
    r = runner(work)("login", "--profile", PROFILE, "--token-code", CODE, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE})
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r


def test_a_relative_key_file_path_is_refused(work: IamUser, isolated: Path, tmp_path: Path) -> None:
    line = runner(work).fails(
        "add",
        PROFILE,
        "--keyring",
        "file",
        code=2,
        input=keys_in(work),
        env={"MFAENV_KEYFILE": "keys.json", "MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE},
    )
    assert "MFAENV_KEYFILE 'keys.json' is not an absolute path" in line
    assert not list(Path.cwd().glob("keys.json")) and "mfaenv_keyring" not in marker(isolated)
    # ~ is the user's home, as in MFAENV_CACHE_DIR.
    r = runner(work)(
        "add",
        PROFILE,
        "--keyring",
        "file",
        input=keys_in(work),
        env={"MFAENV_KEYFILE": "~/private/keys.json", "MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE},
    )
    assert r.code == 0 and (isolated / "private" / "keys.json").exists(), r


def test_new_passphrase_question_says_what_it_is_for(work: IamUser, isolated: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mfaenv", "add", PROFILE, "--keyring", "file", "--no-credential-process"],
        encoding="utf-8",
        timeout=60,
    )
    child.expect("access key id")
    child.send(work.key_id + ENTER)
    child.expect("secret access key")
    child.send(work.secret + ENTER)
    child.expect(r"New passphrase for the mfaenv key file (\S+) \(it encrypts your AWS keys\): ")
    assert child.match.group(1) == str(keyfile(isolated))
    child.send(PASSPHRASE + ENTER)
    child.expect("Same passphrase again")
    child.send(PASSPHRASE + ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
