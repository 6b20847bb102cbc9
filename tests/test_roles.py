"""Roles with MFA: one code for many roles, renewals without a code, long sessions with one.

Against moto's STS over loopback, behind tests/truststs.py, which refuses what
real STS refuses and moto does not (AssumeRole without MFA for a role that
needs it, the 1-hour rule, a reused code, GetSessionToken with a session).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, make_user
from tests.helpers import MFAENV, Mfaenv
from tests.realshells import evaluate
from tests.truststs import Trust, TrustSts

PRODUCER = " ".join(MFAENV)
ADMIN = "arn:aws:iam::222222222222:role/Admin"
READONLY = "arn:aws:iam::222222222222:role/ReadOnly"
AUDIT = "arn:aws:iam::333333333333:role/Audit"
LONG = "arn:aws:iam::222222222222:role/LongAdmin"
NODE_DIR = Path(__file__).parent / "node"


def config_text(user: IamUser) -> str:
    """The issue's example, plus a second role from the same source and one that allows long sessions."""
    return f"""[profile work]
mfa_serial = {user.serial}
region = eu-west-1

[profile prod-admin]
role_arn = {ADMIN}
source_profile = work
mfa_serial = {user.serial}
region = us-east-1

[profile prod-readonly]
role_arn = {READONLY}
source_profile = prod-admin

[profile audit]
role_arn = {AUDIT}
source_profile = work
external_id = audit-7f3e
region = ap-southeast-2

[profile long-admin]
role_arn = {LONG}
source_profile = work
duration_seconds = 28800
"""


TRUST = {
    ADMIN: Trust(mfa=True),
    READONLY: Trust(mfa=False),  # trusts the Admin role's sessions
    AUDIT: Trust(mfa=True, external_id="audit-7f3e"),
    LONG: Trust(mfa=True, max_session=43200),
}


@pytest.fixture
def sts(user: IamUser, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrustSts]:
    """Profile `work` with the user's keys, the role profiles, and the rule-enforcing proxy as the endpoint."""
    (isolated / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    (isolated / ".aws" / "config").write_text(config_text(user))
    with TrustSts(moto_server, {k: dataclass_copy(v) for k, v in TRUST.items()}).running() as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", proxy.url)
        yield proxy


def dataclass_copy(t: Trust) -> Trust:
    import dataclasses

    return dataclasses.replace(t)


def _entries(home: Path) -> list[dict[str, object]]:
    folder = home / ".cache" / "mfaenv" / "sessions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("[0-9a-f]*-*.json"))]


def _left(env: dict[str, str]) -> float:
    return int(env["MFAENV_EXPIRES"]) - time.time()


def _caller_arn(env: dict[str, str], endpoint: str) -> str:
    import boto3

    client = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )
    return str(client.get_caller_identity()["Arn"])


# ---- one code for many roles ----


def test_two_roles_one_code(
    sts: TrustSts, mfaenv: Mfaenv, user: IamUser, moto_server: str, tmp_path: Path, isolated: Path
) -> None:
    admin, _ = evaluate("bash", f"{PRODUCER} login --profile prod-admin --token-code {CODE}", tmp_path)
    assert sts.actions() == ["GetSessionToken", "AssumeRole"]
    gst, role = sts.calls
    assert gst.token is None and gst.params["TokenCode"] == CODE  # the long-term key with the code
    assert role.token is not None and "SerialNumber" not in role.params  # the MFA session signs, no code
    assert role.params["RoleArn"] == ADMIN and int(role.params["DurationSeconds"]) == 3600

    # The second role, from another shell: no code, no terminal; one AssumeRole and no GetSessionToken.
    audit, _ = evaluate("zsh", f"{PRODUCER} login --profile audit --shell zsh", tmp_path)
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole"]
    assert sts.calls[-1].token == role.token and sts.calls[-1].params["ExternalId"] == "audit-7f3e"

    for env, profile, arn, region in (
        (admin, "prod-admin", "arn:aws:sts::222222222222:assumed-role/Admin/mfaenv-prod-admin", "us-east-1"),
        (audit, "audit", "arn:aws:sts::333333333333:assumed-role/Audit/mfaenv-audit", "ap-southeast-2"),
    ):
        assert env["MFAENV_PROFILE"] == profile
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == region  # the role profile's, not work's
        assert env["AWS_SECRET_ACCESS_KEY"] != MOTO_SESSION_SECRET  # the role's keys, not the MFA session's
        assert 3500 < _left(env) <= 3605
        assert _caller_arn(env, moto_server) == arn
    assert admin["AWS_ACCESS_KEY_ID"] != audit["AWS_ACCESS_KEY_ID"]

    # The role sessions are cached like MFA sessions, with what a listing needs and no code.
    folder = isolated / ".cache" / "mfaenv" / "sessions"
    for path in folder.glob("[0-9a-f]*-*.json"):
        assert path.stat().st_mode & 0o077 == 0 and CODE not in path.read_text()
    docs = {d["Profile"]: d for d in _entries(isolated)}
    assert set(docs) == {"work", "prod-admin", "audit"}
    assert docs["prod-admin"]["RoleArn"] == ADMIN and docs["prod-admin"]["SourceProfile"] == "work"
    assert docs["prod-admin"]["SerialNumber"] == user.serial
    assert docs["prod-admin"]["SourceKey"] == f"{user.key_id[:4]}...{user.key_id[-4:]}"
    # ... and `mfaenv list` shows them from the cache alone.
    listing = mfaenv("list").out
    assert f"role {ADMIN}" in listing and f"role {AUDIT}" in listing and f"MFA {user.serial}" in listing

    # Again: the cached role session, no call at all.
    assert mfaenv("login", "--profile", "prod-admin").code == 0
    assert len(sts.calls) == 3


# ---- renewals: an hour later ----


def test_role_renews_without_a_code_while_the_mfa_session_lasts(sts: TrustSts, mfaenv: Mfaenv) -> None:
    first = mfaenv("login", "--profile", "prod-admin", "--token-code", CODE)
    assert first.code == 0, first
    # "An hour later": with a margin of 2 h the 1-hour role session is not good
    # enough, and the 12-hour MFA session is. login, exec and credential-process renew without a code.
    later = {"MFAENV_MARGIN": "2h"}
    r = mfaenv("login", "--profile", "prod-admin", env=later)
    assert r.code == 0 and "export AWS_SESSION_TOKEN=" in r.out, r
    r = mfaenv(
        "exec",
        "--profile",
        "prod-admin",
        "--",
        sys.executable,
        "-c",
        "import os; print(os.environ['MFAENV_PROFILE'])",
        env=later,
    )
    assert r.code == 0 and r.out == "prod-admin\n", r
    r = mfaenv("credential-process", "--profile", "prod-admin", env=later)
    assert r.code == 0 and json.loads(r.out)["Version"] == 1, r
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole", "AssumeRole", "AssumeRole"]

    # Once the MFA session itself is too short, a code is needed again: none here, so it fails cleanly.
    line = mfaenv.fails("login", "--profile", "prod-admin", code=2, env={"MFAENV_MARGIN": "13h"})
    assert "no terminal to ask for the MFA code" in line
    assert len(sts.calls) == 5
    r = mfaenv("login", "--profile", "prod-admin", "--token-code", "246801", env={"MFAENV_MARGIN": "13h"})
    assert r.code == 0, r
    assert sts.actions()[5:] == ["GetSessionToken", "AssumeRole"]


def test_role_renewal_asks_for_a_code_on_the_terminal_after_the_mfa_session(sts: TrustSts, mfaenv: Mfaenv) -> None:
    assert mfaenv("login", "--profile", "prod-admin", "--token-code", CODE).code == 0
    env = {**os.environ, "MFAENV_MARGIN": "13h"}
    child = pexpect.spawn(
        "bash",
        ["-c", f'eval "$({PRODUCER} login --profile prod-admin)"; echo "profile=$MFAENV_PROFILE"'],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect_exact("MFA code for ")
    child.send("135790\r")
    child.expect_exact("profile=prod-admin")
    child.expect(pexpect.EOF)
    assert sts.actions()[2:] == ["GetSessionToken", "AssumeRole"]


# ---- long role sessions: straight from the long-term keys, with a code ----


@pytest.mark.parametrize(("profile", "args"), [("prod-admin", ["--duration", "8h"]), ("long-admin", [])])
def test_long_role_session_goes_direct_with_a_code(
    sts: TrustSts, mfaenv: Mfaenv, user: IamUser, profile: str, args: list[str]
) -> None:
    if profile == "prod-admin":
        sts.roles[ADMIN].max_session = 43200
    r = mfaenv("login", "--profile", profile, *args, "--token-code", CODE)
    assert r.code == 0, r
    assert "over the 1-hour limit" in r.err and "one code per role session" in r.err and r.err.count("\n") == 1
    (call,) = sts.calls  # no GetSessionToken
    assert call.action == "AssumeRole" and call.key == user.key_id and call.token is None
    assert call.params["SerialNumber"] == user.serial and call.params["TokenCode"] == CODE
    assert call.params["DurationSeconds"] == "28800"
    left = int(re.search(r"MFAENV_EXPIRES='?(\d+)", r.out).group(1)) - time.time()  # type: ignore[union-attr]
    assert 8 * 3600 - 120 < left <= 8 * 3600 + 5
    # Cached as its own entry: the same request again makes no call and needs no code.
    assert mfaenv("login", "--profile", profile, *args).code == 0
    assert len(sts.calls) == 1
    # A plain login takes it too (the session with the most time left, issue 20); an explicit 1h
    # is its own session, made on the 1-hour path beside it.
    if profile == "prod-admin":
        assert mfaenv("login", "--profile", profile).code == 0
        assert len(sts.calls) == 1
        assert mfaenv("login", "--profile", profile, "--duration", "1h", "--token-code", "112233").code == 0
        assert sts.actions()[1:] == ["GetSessionToken", "AssumeRole"]


def test_long_role_session_asks_for_its_code_on_the_terminal(sts: TrustSts, user: IamUser) -> None:
    child = pexpect.spawn(
        "bash",
        ["-c", f'eval "$({PRODUCER} login --profile long-admin)"; echo "profile=$MFAENV_PROFILE"'],
        env=dict(os.environ),
        encoding="utf-8",
        timeout=60,
    )
    child.expect_exact(f"MFA code for {user.serial} (an 8h session of long-admin takes its own code): ")
    child.send(f"{CODE}\r")
    child.expect_exact("one code per role session")
    child.expect_exact("profile=long-admin")
    child.expect(pexpect.EOF)
    (call,) = sts.calls
    assert call.action == "AssumeRole" and call.token is None and call.params["TokenCode"] == CODE


def test_long_session_over_the_roles_maximum_is_one_line(sts: TrustSts, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("login", "--profile", "prod-admin", "--duration", "8h", "--token-code", CODE, code=2)
    assert "MaxSessionDuration" in line and ADMIN in line and "--duration" in line


def test_a_code_reused_elsewhere_is_refused_by_sts(sts: TrustSts, mfaenv: Mfaenv) -> None:
    # No cache here (another machine, in effect): the local check cannot know, STS refuses.
    no_cache = {"MFAENV_NO_CACHE": "1"}
    assert mfaenv("login", "--profile", "long-admin", "--token-code", CODE, env=no_cache).code == 0
    line = mfaenv.fails("login", "--profile", "long-admin", "--token-code", CODE, code=3, env=no_cache)
    assert "wrong, or was already used" in line


# ---- chains ----


def test_chain_of_two_roles(sts: TrustSts, mfaenv: Mfaenv, moto_server: str, tmp_path: Path) -> None:
    got, _ = evaluate("bash", f"{PRODUCER} login --profile prod-readonly --token-code {CODE}", tmp_path)
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole"]
    _, admin, readonly = sts.calls
    assert admin.params["RoleArn"] == ADMIN and readonly.params["RoleArn"] == READONLY
    assert readonly.token is not None and readonly.token != admin.token  # signed by the Admin role's session
    assert got["MFAENV_PROFILE"] == "prod-readonly"
    assert _caller_arn(got, moto_server) == "arn:aws:sts::222222222222:assumed-role/ReadOnly/mfaenv-prod-readonly"
    # prod-admin's session from the chain is the one `login --profile prod-admin` uses: no call.
    assert mfaenv("login", "--profile", "prod-admin").code == 0
    assert len(sts.calls) == 3


def test_whoami_shows_the_assumed_role_and_the_chain(sts: TrustSts, moto_server: str) -> None:
    script = f'eval "$({PRODUCER} login --profile prod-readonly --token-code {CODE})"; {PRODUCER} whoami'
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p
    lines = p.stdout.splitlines()
    assert lines[0] == "arn:aws:sts::222222222222:assumed-role/ReadOnly/mfaenv-prod-readonly"
    assert f"role chain: work (long-term keys) -> prod-admin ({ADMIN}) -> prod-readonly ({READONLY})" in lines
    assert "an mfaenv session of profile prod-readonly" in p.stdout


# ---- stale credentials in the environment ----


def test_stale_role_and_session_keys_never_sign(sts: TrustSts, user: IamUser, tmp_path: Path) -> None:
    stale = {
        "AWS_ACCESS_KEY_ID": "ASIASTALESTALESTALE1",
        "AWS_SECRET_ACCESS_KEY": "stale-secret",
        "AWS_SESSION_TOKEN": "stale-token",
        "AWS_SECURITY_TOKEN": "stale-security-token",
        "AWS_PROFILE": "prod-admin",
        "MFAENV_PROFILE": "prod-admin",
    }
    env = {**os.environ, **stale}
    got, _ = evaluate("bash", f"{PRODUCER} login --token-code {CODE}", tmp_path, env)
    evaluate(
        "bash",
        f"{PRODUCER} exec --profile prod-readonly -- true; {PRODUCER} credential-process --profile audit >/dev/null",
        tmp_path,
        env,
    )
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole", "AssumeRole"]
    assert sts.calls[0].key == user.key_id
    for call in sts.calls:
        assert call.key != "ASIASTALESTALESTALE1"
        assert call.token not in ("stale-token", "stale-security-token")
    assert got["MFAENV_PROFILE"] == "prod-admin" and "AWS_SECURITY_TOKEN" not in got
    assert got["MFAENV_SAVED_AWS_PROFILE"] == "prod-admin" and "AWS_PROFILE" not in got


# ---- the SDKs see the role ----


def _aws_cli_v2() -> str:
    for path in ("/usr/bin/aws", shutil.which("aws")):
        if path and os.path.exists(path):
            out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
            if out.startswith("aws-cli/2."):
                return path
    if os.environ.get("CI"):
        pytest.fail("the AWS CLI v2 is missing (scripts/setup.sh installs Debian's awscli)")
    pytest.skip("no AWS CLI v2")


def _node() -> str:
    if shutil.which("node") and (NODE_DIR / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        return "node"
    if os.environ.get("CI"):
        pytest.fail("node or @aws-sdk/client-sts is missing (scripts/setup.sh installs it into tests/node)")
    pytest.skip("no node with @aws-sdk/client-sts")


def test_aws_cli_boto3_and_js_sdk_see_the_assumed_role(
    sts: TrustSts, moto_server: str, isolated: Path, tmp_path: Path
) -> None:
    aws, node = _aws_cli_v2(), _node()
    config = isolated / ".aws" / "config"
    config.write_text(
        config.read_text()
        + f"\n[profile admin-cp]\ncredential_process = {sys.executable} -m mfaenv credential-process --profile prod-admin\n"
        "region = us-east-1\n"
    )
    # The AWS CLI 2.9 ignores AWS_ENDPOINT_URL_STS, so it is told the endpoint; boto3 and the JS SDK read the variable.
    callers = (
        f"{aws} sts get-caller-identity --endpoint-url {moto_server} --query Arn --output text && "
        f'{sys.executable} -c \'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])\' && '
        f"{node} {NODE_DIR / 'whoami.mjs'}"
    )
    # No region in the environment: in the shell and under exec the role profile's comes along.
    env = {**os.environ, "AWS_ENDPOINT_URL_STS": moto_server}
    first = subprocess.run(
        [*MFAENV, "login", "--profile", "work", "--token-code", CODE], capture_output=True, env=env, timeout=60
    )
    assert first.returncode == 0, first.stderr  # the morning's code: everything below needs none
    ways = {
        "shell": f'eval "$({PRODUCER} login --profile prod-admin)"; {callers}',
        "exec": f"{PRODUCER} exec --profile prod-admin -- sh -c {shlex_quote(callers)}",
        "credential-process": f"export AWS_PROFILE=admin-cp; {callers}",
    }
    for way, script in ways.items():
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert p.returncode == 0, (way, p.stderr[-2000:])
        arns = p.stdout.split()
        assert arns == ["arn:aws:sts::222222222222:assumed-role/Admin/mfaenv-prod-admin"] * 3, (way, p.stdout, p.stderr)


def shlex_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


# ---- the prompt's auto-login renews a role silently ----


def test_auto_login_renews_a_role_without_a_code(sts: TrustSts, mfaenv: Mfaenv, isolated: Path) -> None:
    from tests.test_hooks import PROMPT, RC

    assert mfaenv("login", "--profile", "prod-admin", "--token-code", CODE).code == 0
    rc, text, argv = RC["bash"]
    (isolated / rc).write_text(text)
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", "MFAENV_MARGIN": "2h"}
    env.pop("MFAENV_SHELL")
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=60, dimensions=(40, 200))
    try:
        child.expect_exact(PROMPT)
        child.send(f"export MFAENV_PROFILE=prod-admin MFAENV_AUTO_LOGIN=1 MFAENV_EXPIRES={int(time.time()) - 10}\r")
        child.expect_exact("the session of prod-admin has expired; logging in again")
        child.expect(r"aws:prod-admin (59m|1h00m) " + re.escape(PROMPT))
        assert "MFA code" not in str(child.before)
        child.send("echo arn-check $AWS_SESSION_TOKEN | wc -c | sed s/^/len=/\r")
        child.expect(r"len=\d+")
    finally:
        child.close(force=True)
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole"]  # renewed from the MFA session


# ---- a role session as a named profile ----


def test_written_role_profile_works_and_renews_itself(
    sts: TrustSts, mfaenv: Mfaenv, isolated: Path, moto_server: str
) -> None:
    r = mfaenv("login", "--profile", "prod-admin", "--token-code", CODE, "--write-profile", "--no-env")
    assert r.code == 0 and "[prod-admin-mfa]" in r.err, r
    import boto3

    written = boto3.Session(profile_name="prod-admin-mfa")
    arn = written.client("sts", endpoint_url=moto_server).get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::222222222222:assumed-role/Admin/mfaenv-prod-admin"
    assert written.region_name == "us-east-1"
    # AWS_PROFILE=prod-admin-mfa mfaenv login renews it from the role, with no code.
    r = mfaenv("login", env={"AWS_PROFILE": "prod-admin-mfa", "MFAENV_MARGIN": "2h"})
    assert r.code == 0, r
    assert sts.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole"]
    renewed = boto3.Session(profile_name="prod-admin-mfa").get_credentials().access_key
    assert renewed != written.get_credentials().access_key


# ---- forgetting ----


def test_logout_forget_covers_role_sessions(sts: TrustSts, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--profile", "prod-admin", "--token-code", CODE).code == 0
    assert mfaenv("login", "--profile", "audit").code == 0
    r = mfaenv("logout", "--forget", env={"MFAENV_PROFILE": "prod-admin"})
    assert "forgot 1 cached session of profile prod-admin" in r.err, r
    assert "the MFA session of profile work still renews prod-admin without a code" in r.err
    assert {d["Profile"] for d in _entries(isolated)} == {"work", "audit"}
    # Forgetting the source forgets the role sessions made from it too.
    r = mfaenv("logout", "--forget", "--profile", "work")
    assert "forgot 2 cached sessions of profile work" in r.err, r
    assert _entries(isolated) == []
    # `mfaenv clear work` likewise.
    assert mfaenv("login", "--profile", "audit", "--token-code", "202122").code == 0
    r = mfaenv("clear", "work")
    assert "removed 2 cached sessions of profile work" in r.err, r
    assert _entries(isolated) == []


def test_loose_role_entry_is_refused(sts: TrustSts, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--profile", "prod-admin", "--token-code", CODE).code == 0
    folder = isolated / ".cache" / "mfaenv" / "sessions"
    (entry,) = [p for p in folder.glob("[0-9a-f]*-*.json") if '"RoleArn"' in p.read_text()]
    entry.chmod(0o644)
    line = mfaenv.fails("login", "--profile", "prod-admin", code=2)
    assert f"refusing the session cache entry {entry}" in line


# ---- one line for each mistake ----


BROKEN = [
    ("[profile r]\nrole_arn = arn:aws:iam::222222222222:user/Admin\nsource_profile = work\n", 2, "is not a role ARN"),
    (
        "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\nsource_profile = s\n"
        "[profile s]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = r\n",
        2,
        "the source_profile settings loop (r -> s -> r)",
    ),
    (
        "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\ncredential_source = Ec2InstanceMetadata\n",
        2,
        "does not support credential_source yet",
    ),
    (
        "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\nsource_profile = sso\n[profile sso]\nsso_session = corp\nsso_account_id = 1\n",
        2,
        "uses IAM Identity Center (SSO), which mfaenv does not support yet",
    ),
    ("[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\n", 2, "has role_arn but no source_profile"),
    (
        "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\nsource_profile = nope\n",
        2,
        "source_profile 'nope' of profile 'r' does not exist",
    ),
    (
        "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/A\nsource_profile = work\nduration_seconds = 99999\n",
        2,
        "duration_seconds '99999' of profile 'r'",
    ),
]


@pytest.mark.parametrize(("extra", "code", "words"), BROKEN)
def test_broken_role_profiles_are_one_line(
    sts: TrustSts, mfaenv: Mfaenv, isolated: Path, extra: str, code: int, words: str
) -> None:
    config = isolated / ".aws" / "config"
    config.write_text(config.read_text() + "\n" + extra)
    line = mfaenv.fails("login", "--profile", "r", "--token-code", CODE, code=code)
    assert words in line
    assert sts.calls == []  # found before any call


def test_chained_role_cannot_last_over_an_hour(sts: TrustSts, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("login", "--profile", "prod-readonly", "--duration", "2h", "--token-code", CODE, code=2)
    assert "role chaining" in line and "1 hour" in line and "1h or less" in line
    assert sts.calls == []


@pytest.mark.parametrize(
    ("role", "change", "words"),
    [
        (AUDIT, {"external_id": "other"}, "and this external id; check role_arn and external_id of profile 'audit'"),
        (ADMIN, {"trusted": False}, "does not let arn:aws:iam::123456789012:user/caller assume it with MFA"),
        (READONLY, {"mfa": True}, "a role's session carries no MFA code of its own"),
    ],
)
def test_trust_policy_refusals_are_one_line(
    sts: TrustSts, mfaenv: Mfaenv, role: str, change: dict[str, object], words: str
) -> None:
    for k, v in change.items():
        setattr(sts.roles[role], k, v)
    profile = {AUDIT: "audit", ADMIN: "prod-admin", READONLY: "prod-readonly"}[role]
    # The morning's MFA session signs, from the cache: a refusal is still one line (no "using the cached ...").
    assert mfaenv("login", "--profile", "work", "--token-code", CODE).code == 0
    line = mfaenv.fails("login", "--profile", profile, code=3)
    assert "AWS denied AssumeRole: the trust policy of role" in line and words in line


@pytest.mark.parametrize(
    ("answer", "code", "words"),
    [
        ("expired-token", 3, "STS no longer accepts the MFA session of profile 'work', which signs AssumeRole of role"),
        # --fresh on the role would use the same MFA session again: the line renews the signer.
        ("unknown-key", 3, "(InvalidClientTokenId); renew it with `mfaenv login --fresh --profile work`, then log in to prod-admin again"),
        ("throttled", 5, "is throttling requests"),
        ("garbage", 5, "answered with something that is not an STS response"),
        ("truncated", 5, "answered with something that is not an STS response"),
        ("slow", 4, "did not answer in time"),
    ],
)
def test_role_renewal_against_a_failing_sts_is_one_line(
    sts: TrustSts, mfaenv: Mfaenv, isolated: Path, answer: str, code: int, words: str
) -> None:
    from tests.faultsts import FaultSts

    config = isolated / ".aws" / "config"
    # Each profile names its endpoint: the MFA session is cached for work's, the role's goes wrong.
    config.write_text(config.read_text().replace("[profile work]\n", f"[profile work]\nendpoint_url = {sts.url}\n"))
    env: dict[str, str | None] = {"AWS_ENDPOINT_URL_STS": None}
    assert mfaenv("login", "--profile", "work", "--token-code", CODE, env=env).code == 0
    with FaultSts(answer).running() as fault:
        text = config.read_text()
        config.write_text(text.replace("[profile prod-admin]\n", f"[profile prod-admin]\nendpoint_url = {fault.url}\n"))
        env["MFAENV_READ_TIMEOUT"] = "1"
        line = mfaenv.fails("login", "--profile", "prod-admin", code=code, env=env)
    assert words in line and fault.hits >= 1


def test_source_without_an_mfa_device(
    moto_server: str, mfaenv: Mfaenv, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = make_user(moto_server, devices=0)
    (isolated / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {bare.key_id}\naws_secret_access_key = {bare.secret}\n"
    )
    (isolated / ".aws" / "config").write_text(f"[profile r]\nrole_arn = {ADMIN}\nsource_profile = work\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    line = Mfaenv(secrets=(bare.secret, CODE)).fails("login", "--profile", "r", "--token-code", CODE, code=2)
    assert f"{bare.arn} has no MFA device" in line


def test_sts_chaining_refusal_in_words() -> None:
    """STS's role-chaining ValidationError (never provoked by mfaenv itself) still reads as one line."""
    from botocore.exceptions import ClientError

    from mfaenv.aws import assume
    from mfaenv.plan import Session
    from mfaenv.store.config import SourceProfile
    from mfaenv.store.roles import Role

    class Meta:
        endpoint_url = "http://127.0.0.1:1"

    class Client:
        meta = Meta()

    src = SourceProfile("work", "AKIAEXAMPLEEXAMPLE12", "s", None, "us-east-1", {})
    session = Session("ASIAEXAMPLEEXAMPLE12", "s", "t", dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc), "work")
    signer = assume.Signer(src, session, "the MFA session of profile 'work'")
    err = ClientError(
        {
            "Error": {
                "Code": "ValidationError",
                "Message": "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            }
        },
        "AssumeRole",
    )
    e = assume.explain(err, Client(), signer, Role("r", ADMIN, None, "mfaenv-r", None), 7200, None)
    assert "lasts at most 1 hour; use --duration 1h or less" in str(e)


# ---- a cached role login stays fast ----


def test_cached_role_login_imports_no_botocore(sts: TrustSts, mfaenv: Mfaenv) -> None:
    assert mfaenv("login", "--profile", "prod-readonly", "--token-code", CODE).code == 0
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv", "login", "--profile", "prod-readonly"],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.decode().splitlines() if "|" in line}
    assert "mfaenv" in imported and not {"boto3", "botocore", "click"} & imported
    assert len(sts.calls) == 3


# ---- reading the profiles (pure) ----


def test_chains_are_read_as_botocore_reads_them() -> None:
    from mfaenv.store import roles

    profiles = {
        "work": {
            "aws_access_key_id": "AKIAEXAMPLEEXAMPLE01",
            "aws_secret_access_key": "s",
            "mfa_serial": "arn:aws:iam::111111111111:mfa/w",
        },
        "admin": {"role_arn": ADMIN, "source_profile": "work", "mfa_serial": "arn:aws:iam::111111111111:mfa/a"},
        "ro": {"role_arn": READONLY, "source_profile": "admin", "region": "eu-north-1"},
        # A source with keys and a role_arn of its own: its keys win (botocore), no third hop.
        "keyed": {"role_arn": AUDIT, "aws_access_key_id": "AKIAEXAMPLEEXAMPLE02", "aws_secret_access_key": "s"},
        "via-keyed": {"role_arn": LONG, "source_profile": "keyed"},
        # A role profile naming itself as its source uses its own keys.
        "self": {
            "role_arn": LONG,
            "source_profile": "self",
            "aws_access_key_id": "AKIAEXAMPLEEXAMPLE03",
            "aws_secret_access_key": "s",
        },
        "loop": {"role_arn": LONG, "source_profile": "loop"},
    }
    ro = roles.resolve("ro", profiles)
    assert (ro.source, [r.profile for r in ro.roles], ro.region) == ("work", ["admin", "ro"], "eu-north-1")
    assert (ro.mfa_serial, ro.serial_from) == ("arn:aws:iam::111111111111:mfa/a", "admin")  # the next one down
    assert roles.resolve("work", profiles).roles == ()
    assert [r.profile for r in roles.resolve("via-keyed", profiles).roles] == ["via-keyed"]
    self_chain = roles.resolve("self", profiles)
    assert (self_chain.source, [r.profile for r in self_chain.roles]) == ("self", ["self"])
    with pytest.raises(roles.MfaenvError, match=r"loop \(loop -> loop\)"):
        roles.resolve("loop", profiles)
    assert roles.describe("ro", profiles) == ("work (long-term keys)", f"admin ({ADMIN})", f"ro ({READONLY})")
    assert ro.roles[0].session_name == "mfaenv-admin" and ro.roles[0].duration is None
