"""`mfaenv login` end to end: the real CLI against moto's STS server on loopback."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, make_user
from tests.helpers import MFAENV, Mfaenv
from tests.realshells import ARGV, SHELLS, evaluate, require
from tests.recorder import Recorder

SESSION_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
PRODUCER = " ".join(MFAENV)  # sys.executable lives on a path without spaces in CI


def _check_session(env: dict[str, str], profile: str = "default", hours: float = 12) -> None:
    assert env["AWS_SECRET_ACCESS_KEY"] == MOTO_SESSION_SECRET
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SESSION_TOKEN"]
    assert env["MFAENV_PROFILE"] == profile
    expires = int(env["MFAENV_EXPIRES"])
    iso = dt.datetime.strptime(env["AWS_CREDENTIAL_EXPIRATION"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert int(iso.timestamp()) == expires
    left = expires - dt.datetime.now(dt.timezone.utc).timestamp()
    assert hours * 3600 - 120 < left <= hours * 3600 + 5


@pytest.mark.parametrize("shell", SHELLS)
def test_login_then_logout_in_each_real_shell(shell: str, user: IamUser, tmp_path: Path) -> None:
    login = f"{PRODUCER} login --token-code {CODE} --shell {shell}"
    env = {**os.environ, "AWS_PROFILE": "default"}
    got, err = evaluate(shell, login, tmp_path, env)
    _check_session(got)
    assert "AWS_PROFILE" not in got and got["MFAENV_SAVED_AWS_PROFILE"] == "default"

    # logout runs in a shell that holds the session; it restores AWS_PROFILE.
    after, _ = evaluate(shell, f"{PRODUCER} logout --shell {shell}", tmp_path, {**os.environ, **got})
    for name in (*SESSION_VARS, "MFAENV_PROFILE", "MFAENV_EXPIRES", "MFAENV_SAVED_AWS_PROFILE"):
        assert name not in after, name
    assert after["AWS_PROFILE"] == "default"


def test_xonsh_user_idiom_as_documented(user: IamUser, tmp_path: Path) -> None:
    # realshells runs xonsh through subprocess.run (see the note there); this
    # is the exact line README documents, with mfaenv as the producer.
    # xonsh's `$(...)` may lose the output under load (README says so): then
    # the line must apply nothing at all, and a second try (from the cache) works.
    require("xonsh")
    script = f"exec($({PRODUCER} login --token-code {CODE} --shell xonsh)); /usr/bin/env -0"
    for _ in range(3):
        p = subprocess.run([*ARGV["xonsh"], script], capture_output=True, cwd=tmp_path, timeout=120)
        assert p.returncode == 0, p.stderr.decode()[-2000:]
        got = dict(e.decode().split("=", 1) for e in p.stdout.split(b"\0") if b"=" in e)
        if "MFAENV_EXPIRES" in got:
            break
        assert not set(got) & {*SESSION_VARS, "MFAENV_PROFILE"}, "half a session applied"
    _check_session(got)


def test_stale_session_never_reaches_sts(user: IamUser, moto_server: str, mfaenv: Mfaenv, tmp_path: Path) -> None:
    stale = {
        "AWS_ACCESS_KEY_ID": "ASIASTALESTALESTALE1",
        "AWS_SECRET_ACCESS_KEY": "stale-secret",
        "AWS_SESSION_TOKEN": "stale-token",
        "AWS_SECURITY_TOKEN": "stale-security-token",
        "AWS_SESSION_EXPIRATION": "2020-01-01T00:00:00Z",
        "AWS_PROFILE": "default",
        "AWS_DEFAULT_PROFILE": "default",
    }
    with Recorder(moto_server).running() as rec:
        env = {**os.environ, **stale, "AWS_ENDPOINT_URL_STS": rec.url}
        got, _ = evaluate("bash", f"{PRODUCER} login --token-code {CODE} --shell bash", tmp_path, env)
    assert rec.actions() == ["GetSessionToken"]
    assert rec.signing_keys() == [user.key_id]  # the profile's long-term key, not the stale ASIA one
    _check_session(got)
    for name in ("AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        assert name not in got, name
    assert got["AWS_SESSION_TOKEN"] != "stale-token"


def test_login_output_unsets_before_it_sets(user: IamUser, mfaenv: Mfaenv) -> None:
    r = mfaenv("login", "--token-code", CODE, "--shell", "bash")
    assert r.code == 0, r
    lines = r.out.splitlines()
    unset = [ln.split()[1].rstrip(";") for ln in lines if ln.startswith("unset ")]
    assert {"AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} <= set(unset)
    first_export = next(i for i, ln in enumerate(lines) if ln.startswith("export "))
    assert all(not ln.startswith("unset ") for ln in lines[first_export:])


def test_serial_found_through_iam_when_not_configured(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    (isolated / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    with Recorder(os.environ["AWS_ENDPOINT_URL_STS"]).running() as rec:
        r = mfaenv(
            "login", "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": rec.url, "AWS_ENDPOINT_URL_IAM": rec.url}
        )
    assert r.code == 0, r
    assert user.serial in r.err and "mfa_serial" in r.err  # tells how to skip the lookup next time
    assert rec.actions() == ["GetCallerIdentity", "ListMFADevices", "GetSessionToken"]
    assert f"SerialNumber={user.serial.replace(':', '%3A').replace('/', '%2F')}" in rec.requests[-1][1].decode()


def test_several_devices_without_terminal_lists_them(moto_server: str, mfaenv: Mfaenv, isolated: Path) -> None:
    u = make_user(moto_server, devices=2)
    (isolated / ".aws" / "credentials").write_text(
        f"[two]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n"
    )
    line = mfaenv.fails("login", "--profile", "two", "--token-code", CODE, code=2)
    assert "several MFA devices" in line and u.serial in line and "--serial-number" in line


def test_serial_precedence(user: IamUser, mfaenv: Mfaenv, moto_server: str) -> None:
    other = "arn:aws:iam::123456789012:mfa/from-env"
    with Recorder(moto_server).running() as rec:
        r = mfaenv("login", "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": rec.url, "MFAENV_MFA_SERIAL": other})
        assert r.code == 0, r
        r = mfaenv(
            "login",
            "--token-code",
            CODE,
            "--serial-number",
            "arn:aws:iam::123456789012:mfa/flag",
            env={"AWS_ENDPOINT_URL_STS": rec.url, "MFAENV_MFA_SERIAL": other},
        )
        assert r.code == 0, r
    bodies = [b.decode() for _, b in rec.requests]
    assert "mfa%2Ffrom-env" in bodies[0] and "mfa%2Fflag" in bodies[1]


def test_token_command_gets_no_secret_and_its_code_is_used(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    cmd = f"env > {seen}; echo 'Code: {CODE} (valid 20s)'"
    r = mfaenv(
        "login", "--token-command", cmd, env={"AWS_SECRET_ACCESS_KEY": "planted", "AWS_SESSION_TOKEN": "planted2"}
    )
    assert r.code == 0, r
    assert "planted" not in seen.read_text()
    assert f"export AWS_SECRET_ACCESS_KEY={MOTO_SESSION_SECRET}" in r.out.replace("'", "")


def test_duration_reaches_sts(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    got, _ = evaluate("bash", f"{PRODUCER} login --token-code {CODE} --duration 1h30m", tmp_path)
    _check_session(got, hours=1.5)


def test_profile_flag_and_python_m(moto_server: str, mfaenv: Mfaenv, isolated: Path) -> None:
    u = make_user(moto_server)
    (isolated / ".aws" / "credentials").write_text(
        f"# my keys\n[work]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n"
    )
    (isolated / ".aws" / "config").write_text(f"[profile work]\nmfa_serial = {u.serial}\n")
    r = mfaenv("login", "--profile", "work", "--token-code", CODE, "--shell", "fish")
    assert r.code == 0, r
    assert "set -gx MFAENV_PROFILE 'work';" in r.out


def test_console_script_is_installed(user: IamUser, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("mfaenv")
    if not exe.exists():
        pytest.skip("console script not on this interpreter's bin dir")
    got, _ = evaluate("bash", f"{exe} login --token-code {CODE}", tmp_path)
    _check_session(got)
