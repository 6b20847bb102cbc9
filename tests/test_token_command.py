"""Codes without a person: a token command per profile (mfaenv_token_command, MFAENV_TOKEN_COMMAND).

A real script stands in for ykman: it prints what `ykman oath accounts code`
prints, and records the environment it was given, so the test can tell that
no AWS secret reached it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import MOTO_SESSION_SECRET, IamUser
from tests.helpers import Mfaenv
from tests.recorder import Recorder

AWS_CLI = "/usr/bin/aws"


def _fake_ykman(folder: Path, code: str) -> Path:
    script = folder / "ykman"
    script.write_text(
        "#!/bin/sh\n"
        f'env > "{folder}/ykman.env"\n'
        f'echo "$*" >> "{folder}/ykman.args"\n'
        f'echo "Amazon Web Services:alice@work    {code}"\n'
    )
    script.chmod(0o755)
    return script


def _codes(rec: Recorder) -> list[str]:
    import re

    return [m.group(1).decode() for _, body in rec.requests if (m := re.search(rb"TokenCode=(\d+)", body))]


def test_the_profiles_token_command_serves_credential_process_for_botocore_and_the_aws_cli(
    user: IamUser, isolated: Path, tmp_path: Path, moto_server: str
) -> None:
    ykman = _fake_ykman(tmp_path, "246810")
    config = isolated / ".aws" / "config"
    config.write_text(
        config.read_text()
        + f"mfaenv_token_command = {ykman} oath accounts code -s aws\n"
        + f"\n[profile work-mfa]\ncredential_process = {sys.executable} -m mfaenv credential-process --profile default\n"
        + "region = eu-west-1\n"
    )
    with Recorder(moto_server).running() as rec:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": rec.url, "AWS_PROFILE": "work-mfa"}
        # botocore runs credential_process with no terminal; the code comes from the script.
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                "import boto3; print(boto3.Session().get_credentials().get_frozen_credentials().access_key)",
            ],
            capture_output=True,
            env=env,
            timeout=120,
            start_new_session=True,
        )
        assert p.returncode == 0, p.stderr.decode()[-2000:]
        session_key = p.stdout.decode().strip()
        assert _codes(rec) == ["246810"] and session_key != user.key_id
        (tmp_path / "ykman.env").unlink()
        # The AWS CLI v2 runs it the same way: the cached session answers, no second code.
        p = subprocess.run(
            [AWS_CLI, "sts", "get-caller-identity", "--endpoint-url", rec.url],
            capture_output=True,
            env=env,
            timeout=120,
            start_new_session=True,
        )
        assert p.returncode == 0, p.stderr.decode()[-2000:]
        assert "Arn" in json.loads(p.stdout)
    # One code in all; the CLI signed with the MFA session, never the long-term key.
    assert _codes(rec) == ["246810"]
    assert rec.signing_keys() == [user.key_id, session_key]
    assert not (tmp_path / "ykman.env").exists()  # cached: the token command did not run again
    assert (tmp_path / "ykman.args").read_text().split("\n")[0] == "oath accounts code -s aws"


def test_the_token_command_gets_no_secret_and_its_failure_is_one_line(
    user: IamUser, mfaenv: Mfaenv, tmp_path: Path, isolated: Path
) -> None:
    ykman = _fake_ykman(tmp_path, "135791")
    env = {
        "MFAENV_TOKEN_COMMAND": str(ykman),
        "AWS_SECRET_ACCESS_KEY": "stale-secret-in-the-shell",
        "AWS_SESSION_TOKEN": "stale-token-in-the-shell",
    }
    r = mfaenv("login", env=env)
    assert r.code == 0, r
    seen = (tmp_path / "ykman.env").read_text()
    assert "stale-secret-in-the-shell" not in seen and "stale-token-in-the-shell" not in seen
    assert user.secret not in seen and MOTO_SESSION_SECRET not in seen
    line = mfaenv.fails("login", "--fresh", env={"MFAENV_TOKEN_COMMAND": "exit 7"}, code=2)
    assert line == "mfaenv: the token command from MFAENV_TOKEN_COMMAND failed with exit status 7"
    config = isolated / ".aws" / "config"
    config.write_text(config.read_text() + "mfaenv_token_command = echo no code\n")
    line = mfaenv.fails("login", "--fresh", code=2)
    assert line == "mfaenv: the token command from mfaenv_token_command of profile 'default' printed no 6-digit code"
    # The flag wins over the variable, the variable over the profile.
    r = mfaenv("login", "--fresh", "--token-command", "echo 111333", env={"MFAENV_TOKEN_COMMAND": "exit 9"})
    assert r.code == 0, r


def test_a_cached_login_says_so(user: IamUser, mfaenv: Mfaenv) -> None:
    assert mfaenv("login", "--token-code", "918273").code == 0
    r = mfaenv("login")
    assert r.code == 0
    import re

    assert re.fullmatch(
        r"mfaenv: using the cached session for default, 1[12]h\d\dm left; --fresh for a new one\n", r.err
    ), r.err
