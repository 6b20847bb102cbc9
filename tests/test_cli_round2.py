"""Issue 20's daily path, round 2: a positional profile everywhere, `exec PROFILE` opens a shell,
the terminal hint keeps what was typed, and a fresh login says what it made.

Driven as the user drove it: the real CLI against moto over HTTP, real terminals where a person types.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CODE, IamUser, install_profile
from tests.helpers import Mfaenv
from tests.realshells import require
from tests.test_completion import DOCUMENTED, _bash_complete
from tests.truststs import Trust, TrustSts
from tests.tty import Terminal

ADMIN = "arn:aws:iam::222222222222:role/Admin"


@pytest.fixture
def work(user: IamUser, isolated: Path) -> IamUser:
    """The user's keys as profile `work` (no `default`)."""
    install_profile(isolated, user, "work")
    return user


def _imports(*args: str) -> set[str]:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv", *args],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.decode().splitlines() if "|" in line}


def _statements(text: str) -> dict[str, str]:
    return dict(re.findall(r"export (\w+)='([^']*)';", text))


# ---- 1. a positional profile ----


def test_login_and_credential_process_take_the_profile_as_a_word(work: IamUser, mfaenv: Mfaenv) -> None:
    r = mfaenv("login", "work", "--token-code", CODE)
    assert r.code == 0, r
    assert _statements(r.out)["MFAENV_PROFILE"] == "work"
    # The same session, the same statements, whichever way the profile is named (and fast or with click).
    for args in (["login", "work"], ["login", "--profile", "work"], ["login", "-p", "work", "work"]):
        for env in ({}, {"MFAENV_NO_FAST": "1"}):
            again = mfaenv(*args, env=env)
            assert (again.code, again.out) == (0, r.out), (args, env, again)
    doc = json.loads(mfaenv("credential-process", "work").out)
    assert doc["AccessKeyId"] == _statements(r.out)["AWS_ACCESS_KEY_ID"] and doc["Version"] == 1
    # The positional form stays on the fast path: no click, no botocore on a cached login.
    for args in (["login", "work"], ["credential-process", "work"]):
        assert not {"click", "boto3", "botocore"} & _imports(*args), args


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_login_work_through_the_hook_in_a_live_shell(shell: str, work: IamUser, isolated: Path) -> None:
    from tests.test_hooks import PROMPT, spawn

    child = spawn(shell, isolated)
    child.enter("mfaenv login work")
    child.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
    child.enter(CODE)
    child.expect(r"aws:work 1[12]h[0-9]{2}m " + re.escape(PROMPT))
    child.enter("echo pro''file=$MFAENV_PROFILE.")
    child.expect_exact("profile=work.")
    child.close(force=True)


def test_two_different_profiles_are_one_usage_line(work: IamUser, mfaenv: Mfaenv) -> None:
    for args in (
        ["login", "work", "--profile", "other"],
        ["credential-process", "--profile", "other", "work"],
        ["exec", "work", "--profile", "other", "--", "true"],
        ["rotate", "work", "--profile", "other"],
    ):
        lines = {mfaenv.fails(*args, code=2, env=env) for env in ({}, {"MFAENV_NO_FAST": "1"})}
        assert lines == {"mfaenv: two profiles given, work and --profile other; give one"}, args


def test_exec_grammar_profile_then_command(work: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    show = ["sh", "-c", 'echo "profile=$MFAENV_PROFILE region=$AWS_REGION args=$*"', "sh"]
    assert mfaenv("login", "work", "--token-code", CODE).code == 0  # cached: exec asks no code
    # aws-vault's forms: PROFILE, then the command after `--` or from the second word.
    assert mfaenv("exec", "work", "--", *show, "a").out == "profile=work region=eu-west-1 args=a\n"
    assert mfaenv("exec", "work", *show, "--", "b").out == "profile=work region=eu-west-1 args=-- b\n"
    # mfaenv's options go before the command, on either side of PROFILE.
    r = mfaenv("exec", "--region", "sa-east-1", "work", "--duration", "12h", "--", *show, "--region", "x")
    assert r.out == "profile=work region=sa-east-1 args=--region x\n", r
    assert mfaenv("exec", "--profile", "work", "--", *show).out.startswith("profile=work ")
    # The command keeps its own --debug; mfaenv's is taken before the command only.
    r = mfaenv("exec", "--debug", "work", "--", sys.executable, "-c", "import sys; print(sys.argv[1:])", "--debug")
    assert r.out.strip() == "['--debug']", r
    # No `--`: the first word is the profile, never the command.
    line = mfaenv.fails("exec", "aws", "s3", "ls", code=2)
    assert line.startswith("mfaenv: profile 'aws' not found in the ") and "known profiles: work" in line
    assert line.endswith(
        "the first word after exec is the profile: `mfaenv exec -- aws ...` runs aws with the default profile"
    )
    # Before the command, every word starting with - is mfaenv's: a command's option needs the `--`.
    assert (
        mfaenv.fails("exec", "work", "-c", "echo hi", code=2) == "mfaenv: No such option '-c'; see `mfaenv exec --help`"
    )
    # A command that is not there is said before any code is asked (none is given here, no session cached for it).
    assert mfaenv.fails("exec", "work", "--fresh", "--", "no-such-tool", code=127) == (
        "mfaenv: cannot run no-such-tool: command not found"
    )
    # `--` with no profile: the default one (AWS_PROFILE here); none known is the usual line.
    r = mfaenv("exec", "--", *show, env={"AWS_PROFILE": "work"})
    assert r.out.startswith("profile=work "), r
    help_text = mfaenv("exec", "--help").out
    assert "[OPTIONS] [PROFILE] [-- COMMAND [ARGS]...]" in help_text and "first word is always PROFILE" in help_text


def test_exec_split_and_its_option_table_match_the_click_command() -> None:
    import click

    from mfaenv.cli import app, execute

    assert execute.split(["admin", "--", "aws", "s3"]) == (["admin"], ["aws", "s3"])
    assert execute.split(["--", "admin", "--", "x"]) == ([], ["admin", "--", "x"])
    assert execute.split(["-p", "admin", "aws", "--", "x"]) == (["-p", "admin", "aws"], ["x"])
    assert execute.split(["admin", "aws", "--", "x"]) == (["admin"], ["aws", "--", "x"])
    assert execute.split(["-d", "1h", "admin", "--region=x", "--"]) == (["-d", "1h", "admin", "--region=x"], [])
    assert execute.split(["admin"]) == (["admin"], [])
    cmd = app.main.commands["exec"]
    takes_value = {o for p in cmd.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
    assert takes_value == set(execute.VALUE_OPTIONS)


def test_exec_runs_the_aws_cli_with_the_role_given_as_profile(
    user: IamUser, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch, mfaenv: Mfaenv
) -> None:
    aws = next((p for p in ("/usr/bin/aws", shutil.which("aws")) if p and _is_v2(p)), None)
    if aws is None:
        if os.environ.get("CI"):
            pytest.fail("the AWS CLI v2 is missing (scripts/setup.sh installs Debian's awscli)")
        pytest.skip("no AWS CLI v2")
    (isolated / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    (isolated / ".aws" / "config").write_text(
        f"[profile work]\nmfa_serial = {user.serial}\nregion = eu-west-1\n\n"
        f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = work\nmfa_serial = {user.serial}\nregion = us-east-1\n"
    )
    with TrustSts(moto_server, {ADMIN: Trust(mfa=True)}).running() as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
        r = mfaenv("exec", "admin", "--token-code", CODE, "--", aws, "--endpoint-url", proxy.url, "sts",
                   "get-caller-identity", "--output", "json")  # fmt: skip
    assert r.code == 0, r
    assert json.loads(r.out)["Arn"].startswith("arn:aws:sts::222222222222:assumed-role/Admin/"), r.out


def _is_v2(path: str) -> bool:
    if not os.path.exists(path):
        return False
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    return out.startswith("aws-cli/2.")


def test_tab_offers_profiles_for_the_positional_profile(isolated: Path) -> None:
    (isolated / ".aws" / "credentials").write_text("[work]\naws_access_key_id = AKIAX\n[wonder]\nx = 1\n")
    (isolated / ".aws" / "config").write_text("[profile workshop]\nregion = eu-west-1\n")
    for command in ("login", "exec", "credential-process"):
        assert _bash_complete(f"mfaenv {command} wo", DOCUMENTED) == ["wonder", "work", "workshop"], command
    assert _bash_complete("mfaenv exec --duration 1h wor", DOCUMENTED) == ["work", "workshop"]
    assert _bash_complete("mfaenv login work wo", DOCUMENTED) == []  # one profile only


# ---- 2. exec PROFILE with no command: the user's shell ----


@pytest.fixture
def bash(isolated: Path) -> Iterator[Terminal]:
    """An interactive bash in a real terminal; its prompt (and that of the user's bash, from ~/.bashrc) shows the profile."""
    (isolated / ".bashrc").write_text("PS1='[$MFAENV_PROFILE]$ '\n")
    env = {**os.environ, "PS1": "[$MFAENV_PROFILE]$ ", "TERM": "dumb", "SHELL": shutil.which("bash") or "/bin/bash"}
    env.pop("MFAENV_SHELL")
    child = Terminal("bash", ["--noprofile", "--norc", "-i"], env=env, encoding="utf-8", timeout=30, cwd=isolated)
    child.expect_exact("[]$ ")
    yield child
    child.close(force=True)


def test_exec_profile_opens_the_users_shell_and_exit_returns(work: IamUser, bash: Terminal) -> None:
    bash.enter("mfaenv exec work")
    bash.expect_exact("MFA code for ")
    bash.enter(CODE)
    bash.expect_exact("mfaenv: new MFA session for work, until ")
    bash.expect_exact("`exit` ends it")
    bash.expect_exact("[work]$ ")
    bash.enter("echo $AWS_SESSION_TOKEN | wc -c")
    bash.expect(r"\n\s*(\d+)\s*\r?\n")
    assert int(bash.match.group(1)) > 100
    bash.expect_exact("[work]$ ")
    bash.enter("exit 3")
    bash.expect_exact("[]$ ")  # the outer shell again, without the session
    bash.enter('echo "status=$? token=${AWS_SESSION_TOKEN:-none}"')
    bash.expect_exact("status=3 token=none")


def test_exec_without_a_usable_shell(work: IamUser, mfaenv: Mfaenv) -> None:
    # A SHELL that is not there: one line, before any code is asked (none is given here).
    line = mfaenv.fails("exec", "work", code=127, env={"SHELL": "/no/such/shell"})
    assert line == (
        "mfaenv: cannot open your shell: SHELL is '/no/such/shell', which is not a program here; "
        "fix SHELL, or give a command: mfaenv exec PROFILE -- COMMAND"
    )
    # No SHELL at all: /bin/sh, which reads its commands from stdin here.
    r = mfaenv("exec", "work", "--token-code", CODE, env={"SHELL": None}, input=b'echo "in sh: $MFAENV_PROFILE"\n')
    assert (r.code, r.out) == (0, "in sh: work\n"), r
    assert "opening /bin/sh with the session of work" in r.err


# ---- 3. the terminal hint keeps what was typed ----

HINTS = {
    "bash": ("bash", ["--noprofile", "--norc", "-i"], """eval "$(mfaenv login -p 'my prof')\""""),
    "fish": ("fish", ["--no-config", "-i"], "mfaenv login -p 'my prof' | source"),
}


@pytest.mark.parametrize("shell", sorted(HINTS))
def test_terminal_hint_keeps_the_arguments_and_pastes(
    shell: str, user: IamUser, isolated: Path, mfaenv: Mfaenv
) -> None:
    require(shell)
    install_profile(isolated, user, "my prof")
    assert mfaenv("login", "-p", "my prof", "--token-code", CODE).code == 0  # cached: the pasted line asks nothing
    binary, argv, expected = HINTS[shell]
    env = {**os.environ, "TERM": "dumb"}
    env.pop("MFAENV_SHELL")  # detected, as for a user
    if shell == "bash":
        env["PS1"] = "READY> "
    child = Terminal(binary, argv, env=env, encoding="utf-8", timeout=30, dimensions=(40, 250), cwd=isolated)
    if shell == "fish":
        child.enter("function fish_prompt; echo -n 'READY> '; end")
    child.expect_exact("READY> ")
    child.enter(f"mfaenv login -p 'my prof' --token-code {CODE}")
    child.expect(r"run: (.*?)(, or put|\r?\n)")
    hint = child.match.group(1).strip()
    assert hint == expected and CODE not in hint
    child.expect_exact("READY> ")
    child.enter(hint)  # pasted as shown
    child.expect_exact("READY> ")
    child.enter("echo profile=$MFAENV_PROFILE.")
    child.expect_exact("profile=my prof.")
    child.close(force=True)


def test_hint_quotes_for_every_shell() -> None:
    from mfaenv import shells

    words = ["-p", "my prof", "--duration=1h", "=x"]
    seen = {name: " ".join(shells.lookup(name).word(w) for w in words) for name in ("bash", "fish", "tcsh", "pwsh")}  # type: ignore[union-attr]
    assert seen["bash"] == "-p 'my prof' --duration=1h '=x'"
    assert seen["fish"] == seen["tcsh"] == seen["pwsh"] == "-p 'my prof' --duration=1h '=x'"
    assert shells.lookup("cmd").word("my prof") == '"my prof"'  # type: ignore[union-attr]
    quoted = shells.lookup("bash").word("it's")  # type: ignore[union-attr]
    p = subprocess.run(["bash", "-c", f"printf %s {quoted}"], capture_output=True, text=True, check=True)
    assert p.stdout == "it's"


# ---- 5. a fresh login says what it made ----


def _until(expires: dt.datetime, zone: str) -> str:
    local, today = expires.astimezone(ZoneInfo(zone)), dt.datetime.now(ZoneInfo(zone)).date()
    day = "" if local.date() == today else " tomorrow"
    return f"{local:%H:%M %Z}{day}"


@pytest.mark.parametrize(("duration", "length"), [(None, "12h"), ("90m", "1h30m")])
def test_a_fresh_login_says_which_session_until_when_and_how_long(
    user: IamUser, mfaenv: Mfaenv, duration: str | None, length: str
) -> None:
    env = {"TZ": "Asia/Kolkata"}
    extra = ["--duration", duration] if duration else []
    fresh = mfaenv("login", "--token-code", CODE, *extra, env=env)
    assert fresh.code == 0, fresh
    expires = dt.datetime.fromisoformat(_statements(fresh.out)["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
    assert fresh.err == f"mfaenv: new MFA session for default, until {_until(expires, 'Asia/Kolkata')} ({length})\n"
    # stdout is what it was: the same statements a cached login prints for that session.
    cached = mfaenv("login", *extra, env=env)
    assert cached.out == fresh.out and cached.err.startswith("mfaenv: using the cached session for default, ")


def test_a_fresh_role_login_names_the_role_session(
    user: IamUser, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch, mfaenv: Mfaenv
) -> None:
    with (isolated / ".aws" / "config").open("a") as f:
        f.write(f"\n[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\nmfa_serial = {user.serial}\n")
    with TrustSts(moto_server, {ADMIN: Trust(mfa=True)}).running() as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
        r = mfaenv("login", "admin", "--token-code", CODE, env={"TZ": "UTC"})
        assert r.code == 0, r
        expires = dt.datetime.fromisoformat(_statements(r.out)["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
        assert r.err == f"mfaenv: new role session for admin, until {_until(expires, 'UTC')} (1h)\n"
        # A new role session from the cached MFA session: still one line, naming both.
        assert mfaenv("clear", "admin").code == 0  # the role's sessions go, the MFA session of default stays
        assert mfaenv("login", "default").code == 0
        r = mfaenv("login", "admin", env={"TZ": "UTC"})
        assert r.code == 0, r
        expires = dt.datetime.fromisoformat(_statements(r.out)["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
        assert re.fullmatch(
            r"mfaenv: using the cached MFA session of default, 1[12]h\d\dm left, for a new role session of admin, "
            rf"until {_until(expires, 'UTC')} \(1h\); no code needed\n",
            r.err,
        ), r.err


# ---- 4. the README's credential_process line for a role ----

CALLER = "import boto3; print(boto3.Session().client('sts', endpoint_url={url!r}).get_caller_identity()['Arn'])"


def test_a_roles_credential_process_goes_into_a_profile_of_another_name(
    user: IamUser, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch, mfaenv: Mfaenv
) -> None:
    line = "credential_process = mfaenv credential-process --profile admin\n"
    role = f"role_arn = {ADMIN}\nsource_profile = default\nmfa_serial = {user.serial}\nregion = us-east-1\n"
    config = isolated / ".aws" / "config"
    base = config.read_text()
    config.write_text(f"{base}\n[profile admin]\n{role}\n[profile admin-mfa]\nregion = us-east-1\n{line}")
    with TrustSts(moto_server, {ADMIN: Trust(mfa=True)}).running() as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
        assert mfaenv("login", "admin", "--token-code", CODE).code == 0  # the morning's code
        script = CALLER.format(url=proxy.url)
        run = {"capture_output": True, "text": True, "timeout": 60, "start_new_session": True}
        # As the README says: the SDK gets the role's session from mfaenv, and asks nothing.
        p = subprocess.run([sys.executable, "-c", script], env={**os.environ, "AWS_PROFILE": "admin-mfa"}, **run)
        assert p.returncode == 0 and ":assumed-role/Admin/" in p.stdout, p.stderr
        # The line inside the role's own profile: botocore assumes the role itself and asks its own code.
        config.write_text(f"{base}\n[profile admin]\n{role}{line}")
        p = subprocess.run([sys.executable, "-c", script], env={**os.environ, "AWS_PROFILE": "admin"}, **run)
        assert p.returncode != 0 and "Enter MFA code for " in p.stderr, p.stderr
