"""Round 3 of the login flow (issues 19 and 20): one code, spent once, for what was asked.

- Concurrent fresh logins of one MFA device wait for each other and share the session.
- A request carrying a code is never resent; its lost answer says the code may be spent.
- A code STS rejects is asked again, when a person typed it.
- An AssumeRole answer must name the role and session asked for.
- An answer may not end long after the duration asked for.

Against moto over loopback, behind the rule-enforcing proxy (tests/truststs.py,
which refuses a code used twice), the recording proxy (tests/recorder.py) or
the fault endpoint (tests/faultsts.py); terminals are real (tests/tty.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.faultsts import FaultSts, error_doc
from tests.helpers import MFAENV, Mfaenv
from tests.recorder import Recorder
from tests.truststs import BAD_CODE, Trust, TrustSts
from tests.tty import Terminal

AUTH, NETWORK, AWS = 3, 4, 5
ROLE = "arn:aws:iam::222222222222:role/Admin"
LONG_ROLE = "arn:aws:iam::222222222222:role/LongAdmin"
SPENT = "the code may have been used: wait for the next one"


def _sessions(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "mfaenv" / "sessions").glob("[0-9a-f]*-*.json"))


def _role_profiles(home: Path, user: IamUser) -> None:
    """Profile `work` with the user's keys; `admin` (1 h, from the MFA session) and `long-admin` (2 h, direct)."""
    (home / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    (home / ".aws" / "config").write_text(
        f"[profile work]\nmfa_serial = {user.serial}\nregion = eu-west-1\n\n"
        f"[profile admin]\nrole_arn = {ROLE}\nsource_profile = work\nrole_session_name = alice\n\n"
        f"[profile long-admin]\nrole_arn = {LONG_ROLE}\nsource_profile = work\nduration_seconds = 7200\n"
    )


# ---- one fresh login per MFA device ----


def _slow_token_command(folder: Path, code: str) -> Path:
    """A ykman stand-in that takes 2 s, so every login of a cold cache starts before the first one ends."""
    script = folder / "slow-ykman"
    script.write_text(f'#!/bin/sh\necho run >> "{folder}/runs"\nsleep 2\necho "Amazon Web Services:alice    {code}"\n')
    script.chmod(0o755)
    return script


def test_six_credential_processes_at_once_spend_one_code(
    user: IamUser, moto_server: str, tmp_path: Path, isolated: Path
) -> None:
    ykman = _slow_token_command(tmp_path, "246810")
    with TrustSts(moto_server, {}).running() as sts:  # refuses a code used twice, as STS does
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": sts.url, "MFAENV_TOKEN_COMMAND": str(ykman)}
        procs = [
            subprocess.Popen(
                [*MFAENV, "credential-process", "--profile", "default"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # as an SDK runs it: no terminal
            )
            for _ in range(6)
        ]
        results = [(p.wait(120), *p.communicate()) for p in procs]
    for rc, out, err in results:
        assert rc == 0, err.decode()
        assert json.loads(out)["SecretAccessKey"] == MOTO_SESSION_SECRET
    assert sts.actions().count("GetSessionToken") == 1, sts.actions()
    assert len({json.loads(out)["AccessKeyId"] for _, out, _ in results}) == 1  # one session, shared
    assert (tmp_path / "runs").read_text().count("run") == 1  # one code asked of the token command
    # The lock file: private, empty, named without the serial.
    locks = list((isolated / ".cache" / "mfaenv" / "sessions").glob("device-*.lock"))
    assert len(locks) == 1 and locks[0].stat().st_mode & 0o777 == 0o600 and locks[0].stat().st_size == 0
    assert user.serial.rsplit("/", 1)[-1] not in locks[0].name


def _login_terminal(out: Path) -> Terminal:
    """`mfaenv login` in a real terminal, its stdout in a file (as `eval "$(...)"` would capture it)."""
    line = f'{" ".join(MFAENV)} login > {out}; echo "rc=$?"'
    return Terminal("bash", ["--noprofile", "--norc", "-c", line], env=dict(os.environ), encoding="utf-8", timeout=60)


def test_two_terminal_logins_at_once_ask_one_question(
    user: IamUser, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)  # the terminals' children inherit it
        first = _login_terminal(tmp_path / "first.out")
        second = None
        try:
            first.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
            second = _login_terminal(tmp_path / "second.out")
            # It waits for the first login instead of asking the same code on a second terminal.
            second.expect_exact(f"mfaenv: waiting for another mfaenv login of {user.serial}...")
            first.enter(CODE)
            first.expect_exact("rc=0")
            second.expect_exact("rc=0")
            said = str(second.before)
        finally:
            first.close(force=True)
            if second is not None:
                second.close(force=True)
    assert "MFA code" not in said and "using the cached session for default" in said
    assert rec.actions() == ["GetSessionToken"]
    keys = [re.findall(r"AWS_ACCESS_KEY_ID=(\S+);", (tmp_path / f"{n}.out").read_text()) for n in ("first", "second")]
    assert keys[0] and keys[0] == keys[1]


# ---- a request carrying a code is sent once ----


@pytest.mark.parametrize("fault", ["close-without-answer", "slow"])
def test_a_lost_answer_to_get_session_token_is_not_resent(user: IamUser, mfaenv: Mfaenv, fault: str) -> None:
    with FaultSts(fault).running() as sts:
        env = {"AWS_ENDPOINT_URL_STS": sts.url, "MFAENV_READ_TIMEOUT": "1"}
        line = mfaenv.fails("login", "--token-code", CODE, code=NETWORK, env=env)
    assert sts.hits == 1  # botocore would have sent it 3 times
    assert line.startswith(f"mfaenv: STS at {sts.url} ") and line.endswith(f"{SPENT}, and check the network")
    # The code is remembered as used: typed again, it is refused here before any call.
    with FaultSts("ok").running() as sts:
        line = mfaenv.fails("login", "--token-code", CODE, code=2, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert "this MFA code was already used" in line and sts.hits == 0


def test_a_lost_answer_to_assume_role_with_a_code_is_not_resent(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    _role_profiles(isolated, user)
    with FaultSts("close-without-answer").running() as sts:
        line = mfaenv.fails(
            "login",
            "--profile",
            "long-admin",
            "--token-code",
            CODE,
            code=NETWORK,
            env={"AWS_ENDPOINT_URL_STS": sts.url},
        )
    assert sts.hits == 1 and SPENT in line


def test_a_call_without_a_code_is_still_retried(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    # No mfa_serial: the serial is looked up, starting with GetCallerIdentity, which carries no code.
    (isolated / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    with FaultSts("close-without-answer").running() as sts:
        line = mfaenv.fails("login", "--token-code", CODE, code=NETWORK, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert sts.hits == 3 and "the connection failed" in line and "code" not in line


# ---- a code STS rejects is asked again, when typed ----


def _wrong_codes_refused(rec: Recorder, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | None:
    m = re.search(rb"TokenCode=(\d+)", body)
    if m and m.group(1).decode() != CODE:
        return 403, error_doc("AccessDenied", BAD_CODE)
    return None


def test_a_typed_code_sts_rejects_is_asked_again(
    user: IamUser, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Recorder(moto_server, hook=_wrong_codes_refused).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        term = _login_terminal(tmp_path / "out")
        try:
            term.expect_exact("MFA code for")
            term.enter("111111")
            term.expect_exact("mfaenv: STS rejected that code: it is wrong, or was already used; type the next one")
            term.expect_exact("MFA code for")
            term.enter(CODE)
            term.expect_exact("rc=0")
        finally:
            term.close(force=True)
    assert rec.actions() == ["GetSessionToken", "GetSessionToken"]
    assert MOTO_SESSION_SECRET in (tmp_path / "out").read_text()


def test_three_rejected_codes_end_the_login(
    user: IamUser, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Recorder(moto_server, hook=_wrong_codes_refused).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        term = _login_terminal(tmp_path / "out")
        try:
            for wrong in ("111111", "222222", "333333"):
                term.expect_exact("MFA code for")
                term.enter(wrong)
            term.expect_exact("mfaenv: STS rejected the MFA code")
            term.expect_exact(f"rc={AUTH}")
            assert "MFA code for" not in str(term.before)
        finally:
            term.close(force=True)
    assert rec.actions() == ["GetSessionToken"] * 3
    assert (tmp_path / "out").read_text() == ""


def test_a_rejected_code_from_a_token_command_ends_the_login(user: IamUser, mfaenv: Mfaenv, moto_server: str) -> None:
    with Recorder(moto_server, hook=_wrong_codes_refused).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url, "MFAENV_TOKEN_COMMAND": "echo 111111"}
        line = mfaenv.fails("login", code=AUTH, env=env)
        assert "STS rejected the MFA code" in line
        line = mfaenv.fails("login", "--token-code", "222222", code=AUTH, env={"AWS_ENDPOINT_URL_STS": rec.url})
        assert "STS rejected the MFA code" in line
    assert rec.actions() == ["GetSessionToken", "GetSessionToken"]


# ---- answers that do not fit the request ----


def _rewrite_assumed_arn(new: str) -> object:
    def rewrite(request: bytes, answer: bytes) -> bytes:
        if b"Action=AssumeRole" not in request:
            return answer
        return re.sub(rb"(<AssumedRoleUser>.*?<Arn>)[^<]*", lambda m: m.group(1) + new.encode(), answer, flags=re.S)

    return rewrite


@pytest.mark.parametrize(
    "answered",
    [
        "arn:aws:sts::999999999999:assumed-role/Admin/alice",  # another account's role of that name
        "arn:aws:sts::222222222222:assumed-role/Other/alice",  # another role
        "arn:aws:sts::222222222222:assumed-role/Admin/mallory",  # another session
        "arn:aws-cn:sts::222222222222:assumed-role/Admin/alice",  # another partition
    ],
)
def test_an_assume_role_answer_for_another_role_is_refused(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, moto_server: str, answered: str
) -> None:
    _role_profiles(isolated, user)
    with Recorder(moto_server, rewrite=_rewrite_assumed_arn(answered)).running() as rec:  # type: ignore[arg-type]
        env = {"AWS_ENDPOINT_URL_STS": rec.url}
        line = mfaenv.fails("login", "--profile", "admin", "--token-code", CODE, code=AWS, env=env)
    assert f"STS's AssumeRole answer for {ROLE} (profile 'admin') names {answered!r}" in line
    assert "nothing was used or cached" in line
    kinds = [json.loads(p.read_text()).get("Kind") for p in _sessions(isolated)]
    assert "role" not in kinds  # the MFA session below it is cached; the role's answer is not


def test_the_assume_role_answer_for_the_role_asked_is_used(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, moto_server: str
) -> None:
    _role_profiles(isolated, user)
    with TrustSts(moto_server, {ROLE: Trust(mfa=True)}).running() as sts:
        r = mfaenv("login", "--profile", "admin", "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert r.code == 0, r
    kinds = [json.loads(p.read_text()).get("Kind") for p in _sessions(isolated)]
    assert sorted(kinds) == ["mfa-session", "role"]


def _stretch_expiration(action: str, hours: int) -> object:
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def rewrite(request: bytes, answer: bytes) -> bytes:
        if f"Action={action}&".encode() not in request + b"&":
            return answer
        return re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{later}</Expiration>".encode(), answer)

    return rewrite


@pytest.mark.parametrize(
    ("args", "action", "hours", "asked"),
    [
        (("--duration", "1h"), "GetSessionToken", 3, "1h"),  # under the old bound of 37 h
        (("--profile", "admin"), "AssumeRole", 20, "1h"),
        (("--profile", "long-admin"), "AssumeRole", 5, "2h"),  # the direct path, with the code
    ],
)
def test_an_answer_ending_long_after_the_asked_duration_is_refused(
    user: IamUser,
    mfaenv: Mfaenv,
    isolated: Path,
    moto_server: str,
    args: tuple[str, ...],
    action: str,
    hours: int,
    asked: str,
) -> None:
    _role_profiles(isolated, user)
    rewrite = _stretch_expiration(action, hours)
    with Recorder(moto_server, rewrite=rewrite).running() as rec:  # type: ignore[arg-type]
        env = {"AWS_ENDPOINT_URL_STS": rec.url, "AWS_PROFILE": "work"}
        line = mfaenv.fails("login", *args, "--token-code", CODE, code=AWS, env=env)
    assert f"later than the {asked} session asked for allows; nothing was cached" in line
    kinds = [json.loads(p.read_text()).get("Kind") for p in _sessions(isolated)]
    assert ("role" if action == "AssumeRole" else "mfa-session") not in kinds


def test_a_link_planted_as_the_lock_file_is_refused(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    from mfaenv.store import devlock

    sessions = isolated / ".cache" / "mfaenv" / "sessions"
    sessions.mkdir(parents=True, mode=0o700)
    target = isolated / "precious"
    target.write_text("keep me")
    lock = sessions / devlock.name(user.serial, os.environ["AWS_ENDPOINT_URL_STS"])
    lock.symlink_to(target)
    line = mfaenv.fails("login", "--token-code", CODE, code=2)
    assert line == f"mfaenv: refusing the lock file {lock}: it is a symbolic link; delete it"
    assert target.read_text() == "keep me"
    lock.unlink()
    assert mfaenv("login", "--token-code", CODE).code == 0
    assert lock.is_file() and not lock.is_symlink()
