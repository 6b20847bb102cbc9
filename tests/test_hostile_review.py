"""What a hostile review found after the features landed: each case failed before its fix.

A rewriting proxy in front of moto plays the hostile IAM/STS endpoint.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, install_profile, make_user
from tests.helpers import Mfaenv
from tests.recorder import Recorder
from tests.test_keyring import PROFILE, iam_keys

Rewrite = Callable[[bytes, bytes], bytes]  # (request body, answer) -> answer


@contextlib.contextmanager
def rewriting(upstream: str, rewrite: Rewrite) -> Iterator[str]:
    """A hostile endpoint: the emulator's answers, edited on the way."""
    with Recorder(upstream, rewrite=rewrite).running() as rec:
        yield rec.url


@pytest.fixture
def work(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """Profile `work` with its long-term keys in the credentials file."""
    u = make_user(moto_server)
    install_profile(isolated, u, PROFILE)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    return u


def _run(u: IamUser) -> Mfaenv:
    return Mfaenv(secrets=(u.secret, MOTO_SESSION_SECRET, CODE))


def test_rotate_refuses_a_new_key_that_is_the_key_in_use(work: IamUser, moto_server: str, isolated: Path) -> None:
    creds = isolated / ".aws" / "credentials"
    before = creds.read_bytes()

    def same_key(body: bytes, answer: bytes) -> bytes:
        if b"Action=CreateAccessKey" not in body:
            return answer
        answer = re.sub(
            rb"<AccessKeyId>\w+</AccessKeyId>", b"<AccessKeyId>" + work.key_id.encode() + b"</AccessKeyId>", answer
        )
        return re.sub(
            rb"<SecretAccessKey>[^<]+</SecretAccessKey>",
            b"<SecretAccessKey>EVILSECRETEVILSECRETEVIL</SecretAccessKey>",
            answer,
        )

    with rewriting(moto_server, same_key) as url:
        line = _run(work).fails(
            "rotate", "--profile", PROFILE, "--token-code", CODE, env={"AWS_ENDPOINT_URL_IAM": url}, code=5
        )
    assert f"IAM answered CreateAccessKey with the existing key {work.key_id}; nothing was stored or deleted" in line
    assert creds.read_bytes() == before
    assert work.key_id in iam_keys(moto_server, work.name)


def test_rotate_never_deletes_the_key_in_use_named_as_retired(work: IamUser, moto_server: str, isolated: Path) -> None:
    creds = isolated / ".aws" / "credentials"
    with creds.open("a") as f:
        f.write(f"mfaenv_retired_access_key_id = {work.key_id}\n")
    line = _run(work).fails("rotate", "--profile", PROFILE, "--token-code", CODE, code=2)
    assert f"names its own key {work.key_id} as retired; nothing was deleted" in line
    assert iam_keys(moto_server, work.name) == [work.key_id]


def test_rotate_drops_the_role_sessions_of_the_old_key(work: IamUser, moto_server: str, isolated: Path) -> None:
    with (isolated / ".aws" / "config").open("a") as f:
        f.write(f"[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = {PROFILE}\n")
    run = _run(work)
    assert run("login", "--profile", "admin", "--token-code", CODE).code == 0
    assert "role arn:aws:iam::123456789012:role/Admin" in run("list").out
    assert run("rotate", "--profile", PROFILE, "--token-code", "700001").code == 0
    assert f"{work.key_id[:4]}...{work.key_id[-4:]}" not in run("list").out


@pytest.mark.parametrize("expiration", ["9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z", "2400-01-01T00:00:00Z"])
def test_an_expiration_out_of_range_is_not_an_sts_answer(work: IamUser, moto_server: str, expiration: str) -> None:
    def far(body: bytes, answer: bytes) -> bytes:
        return re.sub(
            rb"<Expiration>[^<]+</Expiration>", b"<Expiration>" + expiration.encode() + b"</Expiration>", answer
        )

    with rewriting(moto_server, far) as url:
        line = _run(work).fails(
            "login", "--profile", PROFILE, "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": url}, code=5
        )
    assert "check the endpoint" in line


def test_the_key_files_folder_must_be_private_and_a_planted_fifo_never_blocks(work: IamUser, tmp_path: Path) -> None:
    open_folder = tmp_path / "shared"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    env = {"MFAENV_KEYFILE": str(open_folder / "keys.json"), "MFAENV_KEYFILE_PASSPHRASE": "correct horse"}
    line = _run(work).fails(
        "add", PROFILE, "--keyring", "file", env=env, input=f"{work.key_id}\n{work.secret}\n".encode(), code=2
    )
    assert "refusing the folder of the encrypted key file" in line and f"chmod go-w {open_folder}" in line
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.mkfifo(private / "keys.json")
    env["MFAENV_KEYFILE"] = str(private / "keys.json")
    p = subprocess.run(
        [sys.executable, "-m", "mfaenv", "add", PROFILE, "--keyring", "file"],
        input=f"{work.key_id}\n{work.secret}\n".encode(),
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode == 2 and "is not a regular file" in p.stderr.decode(), p


def test_names_from_the_environment_and_files_cannot_add_lines_or_escapes(work: IamUser, isolated: Path) -> None:
    run = _run(work)
    r = run("logout", "--forget", "--shell", "bash", env={"MFAENV_PROFILE": "p\nmfaenv: logged in as root"})
    assert r.err.count("\n") == 1 and "p\\nmfaenv" in r.err
    with (isolated / ".aws" / "config").open("a") as f:
        f.write("[profile evil\x1b]0;PWNED\x07]\nregion = eu-west-1\n")
    line = run.fails("login", "--profile", "nope", code=2)
    assert "\x1b" not in line and "\\x1b" in line


def test_a_looked_up_device_is_no_second_line_on_failure(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    (isolated / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")  # no mfa_serial: IAM is asked
    line = mfaenv.fails("login", code=2)  # no terminal, no code: one line, the note waits for success
    assert "no terminal to ask for the MFA code" in line
    r = mfaenv("login", "--token-code", CODE)
    assert r.code == 0 and f"using MFA device {user.serial}" in r.err
