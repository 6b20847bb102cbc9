"""Sessions across terminals: the cache, status, whoami, exec, credential-process, policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.helpers import MFAENV, Mfaenv
from tests.realshells import evaluate
from tests.recorder import Recorder

PRODUCER = " ".join(MFAENV)


def _cache_entries(home: Path) -> list[Path]:
    return sorted(p for p in (home / ".cache" / "mfaenv" / "sessions").glob("*.json") if p.name != "used-codes.json")


def test_second_terminal_reuses_the_session_without_a_code(
    user: IamUser, moto_server: str, tmp_path: Path, isolated: Path
) -> None:
    with Recorder(moto_server).running() as rec:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": rec.url}
        first, _ = evaluate("bash", f"{PRODUCER} login --token-code {CODE}", tmp_path, env)
        assert rec.actions() == ["GetSessionToken"]
        # Another shell, no code, no terminal: only the cache can answer.
        second, _ = evaluate("zsh", f"{PRODUCER} login --shell zsh", tmp_path, env)
    assert rec.actions() == ["GetSessionToken"]  # the emulator saw no second call
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MFAENV_EXPIRES"):
        assert first[name] == second[name]
    (entry,) = _cache_entries(isolated)
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    assert oct(entry.parent.stat().st_mode & 0o777) == "0o700"
    assert CODE not in entry.read_text()


def test_world_readable_entry_is_refused(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0
    (entry,) = _cache_entries(isolated)
    entry.chmod(0o644)
    line = mfaenv.fails("login", code=2)
    assert f"refusing the session cache entry {entry}: its mode is -rw-r--r--" in line


def test_fresh_forget_rotation_and_margin_call_sts(
    user: IamUser, mfaenv: Mfaenv, moto_server: str, isolated: Path
) -> None:
    with Recorder(moto_server).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url}
        assert mfaenv("login", "--token-code", CODE, env=env).code == 0
        assert mfaenv("login", env=env).code == 0  # cached
        assert len(rec.requests) == 1
        assert mfaenv("login", "--fresh", "--token-code", "700002", env=env).code == 0
        assert len(rec.requests) == 2
        # A margin longer than the session: the entry is not good enough.
        assert mfaenv("login", "--token-code", "700003", env={**env, "MFAENV_MARGIN": "13h"}).code == 0
        assert len(rec.requests) == 3
        r = mfaenv("logout", "--forget", env={**env, "MFAENV_PROFILE": "default"})
        assert "forgot 1 cached session of profile default" in r.err
        assert _cache_entries(isolated) == []
        mfaenv.fails("login", code=2, env=env)  # nothing cached: needs a code again
        assert mfaenv("login", "--token-code", "700004", env=env).code == 0
        assert len(rec.requests) == 4
        # A rotated long-term key never finds the old entry.
        import boto3

        iam = boto3.client(
            "iam",
            endpoint_url=moto_server,
            region_name="us-east-1",
            aws_access_key_id="AKIAADMINEXAMPLE0001",
            aws_secret_access_key="x",
        )
        new = iam.create_access_key(UserName=user.name)["AccessKey"]
        (isolated / ".aws" / "credentials").write_text(
            f"[default]\naws_access_key_id = {new['AccessKeyId']}\naws_secret_access_key = {new['SecretAccessKey']}\n"
        )
        mfaenv.fails("login", code=2, env=env)
        assert mfaenv("login", "--token-code", "700005", env=env).code == 0
        assert rec.signing_keys()[-1] == new["AccessKeyId"]


def test_a_used_code_is_refused_before_any_call(user: IamUser, mfaenv: Mfaenv, moto_server: str) -> None:
    with Recorder(moto_server).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url}
        assert mfaenv("login", "--token-code", CODE, env=env).code == 0
        line = mfaenv.fails("login", "--fresh", "--token-code", CODE, code=2, env=env)
        assert "already used at" in line and "wait for the next code" in line
        line = mfaenv.fails("login", "--fresh", "--token-command", f"echo {CODE}", code=2, env=env)
        assert "wait for the next code" in line
        assert len(rec.requests) == 1  # refused locally
        assert mfaenv("login", "--fresh", "--token-code", "246802", env=env).code == 0
    # Only a salted hash is kept, in a private file.
    (used,) = Path(os.environ["XDG_CACHE_HOME"]).glob("mfaenv/sessions/used-codes.json")
    assert CODE not in used.read_text() and "246802" not in used.read_text()
    assert used.stat().st_mode & 0o077 == 0


def test_no_cache_writes_nothing(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--token-code", CODE, env={"MFAENV_NO_CACHE": "1"}).code == 0
    assert _cache_entries(isolated) == []


@pytest.mark.parametrize(
    ("left", "code", "state", "words"),
    [
        (5 * 3600, 0, "valid", "5h00m left"),
        (600, 10, "expiring", "expiring soon"),
        (-60, 11, "expired", "1m ago"),
        (None, 12, "none", "no MFA session in this shell"),
    ],
)
def test_status_exit_codes(cli: Mfaenv, left: int | None, code: int, state: str, words: str) -> None:
    env: dict[str, str | None] = {"MFAENV_PROFILE": "work"}
    if left is not None:
        env["MFAENV_EXPIRES"] = str(int(time.time()) + left + (5 if left > 0 else 0))
    r = cli("status", env=env)
    assert r.code == code and words in r.out, r
    r = cli("status", "--json", env=env)
    doc = json.loads(r.out)
    assert r.code == code and doc["state"] == state
    if left is not None:
        assert abs(doc["seconds_left"] - left) < 30 and doc["expires_utc"].endswith("Z")


def test_status_reads_aws_credential_expiration(cli: Mfaenv) -> None:
    r = cli("status", env={"AWS_ACCESS_KEY_ID": "ASIAX", "AWS_CREDENTIAL_EXPIRATION": "2001-01-01T00:00:00Z"})
    assert r.code == 11 and "expired at 2001-01-01 00:00:00 UTC" in r.out


@pytest.mark.parametrize(
    ("profile", "shown"),
    [
        (os.fsdecode(b"work\xff"), "work\\xff"),  # not UTF-8: os.environ holds a surrogate escape
        ("w\x1b]0;owned\x07\nx", "w\\x1b]0;owned\\x07\\nx"),  # a terminal escape and a newline
    ],
)
def test_status_shows_any_profile_name_cleanly(cli: Mfaenv, profile: str, shown: str) -> None:
    env = {"MFAENV_PROFILE": profile, "MFAENV_EXPIRES": str(int(time.time()) + 7200)}
    r = cli("status", env=env)
    assert r.code == 0 and r.out.startswith(f"profile {shown}: valid until ") and r.err == "", r
    assert r.out.count("\n") == 1 and "\x1b" not in r.out
    r = cli("status", "--json", env=env)
    assert r.code == 0 and json.loads(r.out)["profile"] == shown and r.out.isascii(), r
    r = cli("status", env={**env, "MFAENV_PROFILE": "caf\u00e9"})  # UTF-8 is shown as it is
    assert r.out.startswith("profile caf\u00e9: valid until "), r


@pytest.mark.parametrize("expires", ["99999999999999999", "\u00b2"])  # past datetime's range; a digit, not ASCII
def test_status_with_an_unreadable_expiry_has_no_session(cli: Mfaenv, expires: str) -> None:
    for value in (expires, "1e9", "-5", "1796151495\n1"):
        r = cli("status", env={"MFAENV_EXPIRES": value})
        assert (r.code, r.out, r.err) == (12, "no MFA session in this shell\n", ""), (value, r)


def test_status_with_an_expiry_past_local_time_has_no_session(cli: Mfaenv) -> None:
    env = {"AWS_ACCESS_KEY_ID": "ASIAX", "AWS_CREDENTIAL_EXPIRATION": "9999-12-31T23:59:59Z", "TZ": "Asia/Tokyo"}
    for args in (["status"], ["status", "--json"]):
        r = cli(*args, env=env)
        assert r.code == 12 and r.err == "", r


def test_exec_passes_status_and_keeps_parent_clean(user: IamUser, tmp_path: Path) -> None:
    script = (
        f'{PRODUCER} exec --token-code {CODE} -- sh -c \'test "$AWS_SECRET_ACCESS_KEY" = "{MOTO_SESSION_SECRET}" '
        '&& test -z "${AWS_SECURITY_TOKEN-}" && test -z "${AWS_PROFILE-}" && exit 7\' || echo "rc=$?"; '
        'echo "parent=${AWS_SECRET_ACCESS_KEY-unset} token=${AWS_SECURITY_TOKEN-unset}"'
    )
    env = {**os.environ, "AWS_SECURITY_TOKEN": "stale", "AWS_PROFILE": "default"}
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert "rc=7" in p.stdout and "parent=unset token=stale" in p.stdout, p


def test_exec_missing_command(user: IamUser, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("exec", "--token-code", CODE, "--", "no-such-command-here", code=127)
    assert "cannot run no-such-command-here" in line


def test_credential_process_through_botocore(user: IamUser, isolated: Path) -> None:
    config = isolated / ".aws" / "config"
    config.write_text(
        config.read_text()
        + f"\n[profile work-mfa]\ncredential_process = {sys.executable} -m mfaenv credential-process --profile default "
        f"--token-code {CODE}\n"
    )
    import boto3

    creds = boto3.Session(profile_name="work-mfa").get_credentials().get_frozen_credentials()
    assert creds.secret_key == MOTO_SESSION_SECRET and creds.token


def test_policy_is_valid_json_with_the_conditions(cli: Mfaenv) -> None:
    r = cli("policy", "--user", "alice", "--max-age", "12h")
    doc = json.loads(r.out)
    text = json.dumps(doc)
    assert r.code == 0 and doc["Version"] == "2012-10-17"
    deny = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert "sts:GetSessionToken" in deny[0]["NotAction"]
    assert deny[1]["Condition"] == {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "43200"}}
    assert "arn:aws:iam::*:user/alice" in text and "harmless" not in r.err and "MFA" in r.err


def test_whoami_names_identity_and_source(user: IamUser, tmp_path: Path) -> None:
    script = f'eval "$({PRODUCER} login --token-code {CODE})"; export AWS_PROFILE=default; {PRODUCER} whoami'
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p
    assert "arn:aws:" in p.stdout and "an mfaenv session of profile default" in p.stdout
    assert "AWS_PROFILE is set as well" in p.stderr


@pytest.mark.parametrize(
    "args",
    [["status"], ["logout"], ["init", "bash"], ["export", "-"], ["login"], ["credential-process"], ["policy"]],
)
def test_fast_paths_import_no_botocore(user: IamUser, mfaenv: Mfaenv, args: list[str]) -> None:
    """No boto3/botocore where no AWS call is made; and no click on the fast path's plain forms."""
    assert mfaenv("login", "--token-code", CODE).code == 0  # fills the cache: `login` below is a cache hit
    doc = b'{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}'
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv", *args],
        input=doc,
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode in (0, 12), p.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.decode().splitlines() if "|" in line}
    assert "mfaenv" in imported
    assert not {"boto3", "botocore"} & imported
    if args[0] != "policy":  # policy is not on the fast path
        assert "click" not in imported


def test_secrets_only_in_private_files(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0
    assert mfaenv("login", "--write-profile", "mfa", "--no-env").code == 0
    holders = []
    for path in isolated.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert CODE.encode() not in data, path  # the MFA code is in no file at all
            if MOTO_SESSION_SECRET.encode() in data or user.secret.encode() in data:
                holders.append(path)
                assert path.stat().st_mode & 0o077 == 0, f"{path} holds a secret and others can read it"
    assert {p.name for p in holders} == {"credentials"} | {p.name for p in _cache_entries(isolated)}


def test_damaged_entries_and_foreign_files(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "package.json").write_text('{"name": "x"}')
    env = {"MFAENV_CACHE_DIR": str(shared)}
    assert mfaenv("login", "--token-code", CODE, env=env).code == 0
    (entry,) = (shared / "sessions").glob("[0-9a-f]*-*.json")
    for damaged in ('{"Expiration": 12345}', '{"Expiration": "2099-01-01T00:00:00"}', "not json"):
        entry.write_text(damaged)
        r = mfaenv("login", "--fresh", "--token-code", str(100000 + len(damaged)), env=env)
        assert r.code == 0, r
    assert (shared / "package.json").read_text() == '{"name": "x"}'  # not ours: untouched


def test_unwritable_cache_costs_no_session(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    blocker = isolated / "not-a-dir"
    blocker.write_text("")
    r = mfaenv("login", "--token-code", CODE, env={"MFAENV_CACHE_DIR": str(blocker)})
    assert r.code == 0 and "export AWS_SESSION_TOKEN=" in r.out
    assert "warning: could not cache the session" in r.err


FAST_CASES = [
    ["status"],
    ["status", "--json"],
    ["logout"],
    ["logout", "--shell", "fish"],
    ["logout", "--shell=tcsh"],
    ["init", "zsh"],
    ["init", "bash", "--prompt"],
    ["init", "--prompt", "fish"],
    ["init"],
    ["init", "klingon"],
    ["export", "-", "--shell", "nu", "--label", "x"],
    ["export", "--shell", "cmd"],
    ["login", "--shell", "bash"],
    ["login", "-p", "default", "--duration=1h"],
    ["login", "--fresh", "--profile", "nope"],
    ["login", "--token-code", "12"],
    ["status", "--jsonx"],
    ["logout", "--shell"],
    ["init", "bash", "extra"],
    ["credential-process"],
    ["credential-process", "--profile", "default", "--duration", "12h"],
    ["credential-process", "--shell", "bash"],
    ["login", "--region", "eu-north-1"],
    ["login", "--region", "eu north"],
]


@pytest.mark.parametrize("args", FAST_CASES, ids=" ".join)
def test_fast_path_answers_exactly_as_click(user: IamUser, mfaenv: Mfaenv, args: list[str]) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0  # a cached session for `login`
    env = {"MFAENV_PROFILE": "work", "MFAENV_EXPIRES": str(int(time.time()) + 3630), "MFAENV_SHELL": "bash"}
    doc = b'{"Version": 1, "AccessKeyId": "AKIAX", "SecretAccessKey": "s/+=", "SessionToken": "t"}'
    fast = mfaenv(*args, env=env, input=doc)
    slow = mfaenv(*args, env={**env, "MFAENV_NO_FAST": "1"}, input=doc)
    import re

    def same(text: str) -> str:  # seconds pass between the two runs
        return re.sub(r'"seconds_left": \d+', "", text)

    assert (fast.code, same(fast.out), fast.err) == (slow.code, same(slow.out), slow.err)
