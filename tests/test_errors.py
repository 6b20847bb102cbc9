"""Every bad input: its exit code, one line on stderr naming the problem, empty stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CODE, IamUser
from tests.helpers import Mfaenv, free_port


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--shell", "klingon"], "unknown shell 'klingon' from --shell; use one of: ash, bash,"),
        (["--duration", "10m"], "600 s; STS allows 900-129600 s"),
        (["--duration", "37h"], "133200 s; STS allows 900-129600 s"),
        (["--duration", "12x"], "is not a number of seconds or a span like 15m, 12h, 1d12h"),
        (["--duration", ""], "is not a number of seconds"),
        (["--token-code", "12345"], "--token-code must be the 6 digits"),
        (["--token-code", "abcdef"], "--token-code must be the 6 digits"),
        (["--profile", "nope"], "profile 'nope' not found in the credentials file"),
        (["--serial-number", "arn:aws:iam::123456789012:user/alice"], "is a user ARN; the device's ARN has ':mfa/'"),
        (["--serial-number", "x y"], "is not a device ARN"),
        (["--token-command", "exit 3"], "the token command from --token-command failed with exit status 3"),
        (["--token-command", "echo no code here"], "the token command from --token-command printed no 6-digit code"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_login_input(user: IamUser, mfaenv: Mfaenv, args: list[str], fragment: str) -> None:
    base = [] if "--token-code" in args or "--token-command" in args else ["--token-code", CODE]
    line = mfaenv.fails("login", *base, *args, code=2)
    assert fragment in line


def test_no_terminal_and_no_code(user: IamUser, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("login", code=2)
    assert "no terminal to ask for the MFA code on; pass --token-code or --token-command" in line


def test_unknown_shell_from_environment(cli: Mfaenv) -> None:
    line = cli.fails("logout", code=2, env={"MFAENV_SHELL": "cobol"})
    assert "unknown shell 'cobol' from MFAENV_SHELL" in line


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing-named", "(from AWS_SHARED_CREDENTIALS_FILE) does not exist"),
        ("unreadable", "cannot read the credentials file"),
        ("directory", "is a directory"),
        ("no-files", "there is no credentials file"),
        ("no-keys", "has no aws_access_key_id"),
        ("no-secret", "has no aws_secret_access_key"),
        ("role", "source_profile 'x' of profile 'default' does not exist"),
        ("session-token", "holds temporary credentials"),
        ("asia", "holds temporary credentials"),
        ("garbage", "cannot parse the credentials file"),
    ],
)
def test_bad_files_and_profiles(user: IamUser, mfaenv: Mfaenv, isolated: Path, setup: str, fragment: str) -> None:
    creds = isolated / ".aws" / "credentials"
    env: dict[str, str | None] = {}
    body = {
        "no-keys": "[default]\nregion = x\n",
        "no-secret": f"[default]\naws_access_key_id = {user.key_id}\n",
        "role": "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = x\n",
        "session-token": f"[default]\naws_access_key_id = {user.key_id}\naws_secret_access_key = s\naws_session_token = t\n",
        "asia": "[default]\naws_access_key_id = ASIAEXAMPLEEXAMPLE12\naws_secret_access_key = s\n",
        "garbage": "aws_access_key_id = outside any section\n",
    }.get(setup)
    if body is not None:
        creds.write_text(body)
        (isolated / ".aws" / "config").unlink()
    elif setup == "missing-named":
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(isolated / "nowhere")
    elif setup == "unreadable":
        if os.geteuid() == 0:
            # root reads any file; a directory-less path component is another "cannot read"
            env["AWS_SHARED_CREDENTIALS_FILE"] = str(creds) + "/"
            fragment = "credentials file"
        else:
            creds.chmod(0)
    elif setup == "directory":
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(isolated)
    elif setup == "no-files":
        creds.unlink()
        (isolated / ".aws" / "config").unlink()
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env=env)
    assert fragment in line


def test_stdout_a_terminal_prints_no_secret(user: IamUser, tmp_path: Path) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "mfaenv", "login", "--token-code", CODE], encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert (
        'stdout is a terminal, so nothing would be applied; run: eval "$(mfaenv login)", '
        'or put `eval "$(mfaenv init bash)"` in ~/.bashrc and run plain `mfaenv login`\r\n'
    ) in child.before
    assert "AWS_SECRET_ACCESS_KEY" not in child.before


def test_sts_refusal_is_one_line(user: IamUser, mfaenv: Mfaenv) -> None:
    port = free_port()  # nothing listens: connection refused
    line = mfaenv.fails("login", "--token-code", CODE, code=4, env={"AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{port}"})
    assert f"cannot reach http://127.0.0.1:{port}" in line


@pytest.mark.parametrize(
    ("shell", "value", "fragment"),
    [
        ("tcsh", '"SecretAccessKey": "a\\nb"', "tcsh/csh cannot hold a value with a line break"),
        ("cmd", '"SecretAccessKey": "50%"', "cmd cannot safely hold a value with '%'"),
        ("bash", '"SecretAccessKey": "a\\u0000b"', "holds a NUL character"),
    ],
)
def test_unrepresentable_value(cli: Mfaenv, shell: str, value: str, fragment: str) -> None:
    doc = '{"Version": 1, "AccessKeyId": "AKIAX", ' + value + "}"
    line = cli.fails("export", "--shell", shell, code=2, input=doc.encode())
    assert fragment in line


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("{not json", "stdin is not JSON (line 1, column 2"),
        ("[]", "is JSON but not an object"),
        ('{"Foo": 1}', "has neither a Credentials object nor Version 1"),
        ('{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}', "Version 2 is not supported"),
        ('{"Credentials": {"AccessKeyId": "A"}}', "SecretAccessKey is missing"),
        (
            '{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}}',
            "'soon' is not an ISO 8601",
        ),
        (
            '{"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "2001-01-01T00:00:00Z"}}',
            "the session expired at 2001-01-01 00:00:00 UTC",
        ),
        ("", "stdin is not JSON"),
    ],
)
def test_malformed_export_input(cli: Mfaenv, doc: str, fragment: str) -> None:
    line = cli.fails("export", code=2, input=doc.encode())
    assert fragment in line


def test_export_missing_file(cli: Mfaenv, tmp_path: Path) -> None:
    line = cli.fails("export", str(tmp_path / "none.json"), code=2)
    assert "none.json" in line


def test_debug_shows_traceback(cli: Mfaenv) -> None:
    r = cli("--debug", "export", input=b"{bad")
    assert r.code == 2 and r.out == "" and "Traceback" in r.err


def test_no_arguments_shows_help_on_stderr(cli: Mfaenv) -> None:
    r = cli()
    assert r.code == 2 and r.out == "" and r.err.startswith("Usage: mfaenv [OPTIONS] COMMAND")


@pytest.mark.parametrize("fast", ["", "1"])
def test_closed_stdout_exits_141_on_both_paths(fast: str) -> None:
    r, w = os.pipe()
    os.close(r)  # the reader is gone before mfaenv writes
    env = {**os.environ, "MFAENV_NO_FAST": fast}
    p = subprocess.run([sys.executable, "-m", "mfaenv", "init", "bash"], stdout=w, stderr=subprocess.PIPE, env=env)
    os.close(w)
    assert p.returncode == 141 and p.stderr == b"", p


def test_export_refuses_what_no_environment_can_hold(cli: Mfaenv, tmp_path: Path) -> None:
    import json as _json

    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1 << 20) + b"{}")
    line = cli.fails("export", str(big), code=2)
    assert line == f"mfaenv: {big} is over 1024 KiB, far more than STS JSON; is it the right file?"
    doc = {"Version": 1, "AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "s", "SessionToken": "A" * 200_000}
    line = cli.fails("export", "-", input=_json.dumps(doc).encode(), code=2)
    assert (
        line
        == "mfaenv: stdin: SessionToken is 200000 characters long; at most 16384 fit an environment variable safely"
    )
