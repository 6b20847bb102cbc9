"""Issue 10, sections 1-2: what an STS or IAM endpoint answers is checked before anything uses it.

Each fault comes from a loopback endpoint (tests/faultsts.py). A hostile answer
must end in one line and the class's exit code, with stdout empty, the AWS
files byte for byte as they were, nothing run, and bounded time and memory.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pexpect
import pytest

from mfaenv.errors import MfaenvError
from mfaenv.plan import Session
from mfaenv.store import credfile
from tests.conftest import CODE, IamUser
from tests.faultsts import FaultSts
from tests.helpers import MFAENV, Mfaenv, Result

INPUT, NETWORK, AWS = 2, 4, 5
NOT_STS = "answered with something that is not an STS response"


def _files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((home / ".aws").iterdir()) if p.is_file()}


# ---- section 1: shapes ----


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("html-200", NOT_STS),
        ("bad-expiration", "(Expiration is not an ISO 8601 timestamp)"),
        ("cr-token", "(SessionToken holds a control character or a blank)"),
        ("lf-secret", "(SecretAccessKey holds a control character or a blank)"),
        ("blank-secret", "(SecretAccessKey holds a control character or a blank)"),
        ("non-ascii-token", "(SessionToken holds a character outside printable ASCII)"),
        ("oversized-token", "(SessionToken is 200000 characters long; at most 16384 fit"),
        ("bad-key-id", "(AccessKeyId is not 16-128 letters, digits or _)"),
        ("short-key-id", "(AccessKeyId is not 16-128 letters, digits or _)"),
    ],
)
def test_bad_answer_writes_nothing(user: IamUser, mfaenv: Mfaenv, isolated: Path, answer: str, fragment: str) -> None:
    before = _files(isolated)
    with FaultSts(answer).running() as sts:
        env = {"AWS_ENDPOINT_URL_STS": sts.url}
        line = mfaenv.fails("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, code=AWS, env=env)
        assert NOT_STS in line and fragment in line and "check the endpoint" in line
        assert f"{sts.url} answered" in line
        # The same answer under eval: nothing printed for the shell either.
        mfaenv.fails("login", "--token-code", "975310", code=AWS, env=env)
    assert _files(isolated) == before  # no [evil], no session, not a byte changed
    assert not list(isolated.rglob("PWN")) and not Path("PWN").exists()
    assert "TOK" not in line and "evil" not in line  # the value itself is never shown


def test_error_message_from_the_endpoint_is_one_short_line(user: IamUser, mfaenv: Mfaenv) -> None:
    with FaultSts("denied-controls").running() as sts:
        line = mfaenv.fails("login", "--token-code", CODE, code=3, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert "AWS denied GetSessionToken to profile 'default'" in line and "denied mfaenv: all good 2K" in line
    assert "\x9b" not in line and "\r" not in line and len(line) < 500


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        ("html-200", AWS, "answered with something that is not an STS response; check the endpoint"),
        ("huge-body", AWS, "sent more than 1 MiB, which is not an STS response"),
        ("trickle-headers", NETWORK, "did not finish answering within 3 s"),
    ],
)
def test_whoami_is_bounded_too(cli: Mfaenv, fault: str, code: int, fragment: str) -> None:
    with FaultSts(fault).running() as sts:
        env = {
            "AWS_ENDPOINT_URL_STS": sts.url,
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE01",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_REGION": "eu-west-1",
            "MFAENV_DEADLINE": "3",
        }
        line = cli.fails("whoami", code=code, env=env)
    assert fragment in line


def test_cr_token_cannot_add_a_profile(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    """The issue's reproduction: `TOK&#13;[evil]&#13;credential_process = ...` as the session token."""
    creds = isolated / ".aws" / "credentials"
    original = creds.read_bytes()
    with FaultSts("cr-token").running() as sts:
        r = mfaenv(
            "login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": sts.url}
        )
    assert r.code != 0 and r.out == "", r
    assert creds.read_bytes() == original
    assert b"[evil]" not in creds.read_bytes()


def test_good_answer_still_accepted(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    # The shapes refuse nothing STS sends: printable ASCII without blanks, however tricky for a shell.
    with FaultSts("tricky").running() as sts:
        r = mfaenv("login", "--token-code", CODE, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert r.code == 0 and "export AWS_ACCESS_KEY_ID='ASIAFAULTFAULTFAULT1';" in r.out, r


def test_discovered_serial_is_checked_before_it_is_offered(user: IamUser, isolated: Path) -> None:
    """IAM lists a serial holding carriage returns: refused before the "Save ... ?" question, nothing written."""
    config = isolated / ".aws" / "config"
    config.write_text("[default]\nregion = eu-west-1\n")
    before = _files(isolated)
    with FaultSts("iam-cr-serial").running() as iam:
        env = {**os.environ, "AWS_ENDPOINT_URL_IAM": iam.url}
        child = pexpect.spawn(
            "bash",
            ["--noprofile", "--norc", "-c", f'out="$({" ".join(MFAENV)} login --token-code {CODE})"; echo "rc=$?"'],
            env=env,
            encoding="utf-8",
            timeout=60,
        )
        asked = False
        while child.expect([r"\? \[y/N\] ", r"rc=\d+"]) == 0:
            asked = True
            child.send("y\r")  # what a user fooled by the look-alike serial types
        rc = child.after
        seen = str(child.before)
        child.expect(pexpect.EOF)
        child.close()
    assert not asked, "the hostile serial was offered for saving"
    assert rc == f"rc={AWS}", seen
    assert "IAM's ListMFADevices answer lists a serial that is not an MFA device ARN" in seen
    assert "\\r[profile evil]" in seen  # shown escaped, if at all
    assert _files(isolated) == before
    assert "credential_process" not in config.read_text()


# ---- section 1: the writer refuses control characters, whoever calls it ----


def _session(**fields: str) -> Session:
    values = {
        "access_key_id": "ASIAEXAMPLEEXAMPLE01",
        "secret_access_key": "s/x+y",
        "session_token": "tok",
        **fields,
    }
    when = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    return Session(values["access_key_id"], values["secret_access_key"], values["session_token"], when, "default")


@pytest.mark.parametrize("bad", ["\r", "\n", "\0", "\x1b", "\x7f", "\x85", "\u2028", "\t"])
def test_writer_refuses_control_characters(tmp_path: Path, bad: str) -> None:
    folder = tmp_path / "aws"
    folder.mkdir()
    path = folder / "credentials"
    original = b"# mine\n[default]\naws_access_key_id = AKIAEXAMPLE\n"
    path.write_bytes(original)
    warnings: list[str] = []
    attempts = [
        lambda: credfile.write_session(
            path, "mfa", _session(session_token=f"T{bad}[evil]"), "default", warnings.append
        ),
        lambda: credfile.write_session(path, "mfa", _session(secret_access_key=f"S{bad}x"), "default", warnings.append),
        lambda: credfile.write_session(path, f"mfa{bad}[evil]", _session(), "default", warnings.append),
        lambda: credfile.write_session(path, "mfa", _session(), f"default{bad}", warnings.append),
        lambda: credfile.set_value(path, "default", "mfa_serial", f"arn{bad}[evil]", warnings.append),
        lambda: credfile.set_value(path, f"default{bad}", "mfa_serial", "arn", warnings.append),
        lambda: credfile.set_value(path, "default", f"k{bad}ey", "arn", warnings.append),
        lambda: credfile.remove_session(path, f"mfa{bad}", warnings.append),
    ]
    for attempt in attempts:
        with pytest.raises(MfaenvError) as e:
            attempt()
        assert len(e.value.message.splitlines()) == 1 and "control character" in e.value.message
        assert bad not in e.value.message and "[evil]" not in e.value.message
        assert path.read_bytes() == original
    assert sorted(p.name for p in folder.iterdir()) == ["credentials"]  # no lock or temp file left either


def test_write_profile_name_with_a_line_break(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    before = _files(isolated)
    line = mfaenv.fails("login", "--write-profile", "mfa\n[evil]", "--no-env", "--token-code", CODE, code=INPUT)
    assert "control character" in line
    assert _files(isolated) == before


# ---- the shape check itself (pure) ----


def test_shapes_accept_what_sts_sends() -> None:
    from mfaenv.aws import shapes

    s = shapes.session(
        {
            "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
            "SessionToken": "AQoDYXdzEJr...<remainder of session token>"[:20] + "+/=" * 300,
            "Expiration": "2011-07-15T23:28:33.359Z",
        },
        "p",
    )
    assert s.expiration == dt.datetime(2011, 7, 15, 23, 28, 33, 359000, tzinfo=dt.timezone.utc)
    assert shapes.session(
        {"AccessKeyId": "A" * 128, "SecretAccessKey": "x", "SessionToken": "t", "Expiration": dt.datetime(2030, 1, 1)},
        "p",
    ).expiration == dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    long_term = shapes.session(
        {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "x"}, "", need_token=False, need_expiration=False
    )
    assert long_term.session_token is None and long_term.expiration is None


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("AccessKeyId", "A" * 15, "is not 16-128 letters, digits or _"),
        ("AccessKeyId", "A" * 129, "is not 16-128 letters, digits or _"),
        ("AccessKeyId", "ASIA\u0661\u0662\u0663EXAMPLEEXAMPLE", "is not 16-128 letters, digits or _"),  # Arabic digits
        ("AccessKeyId", None, "is missing"),
        ("SecretAccessKey", "", "is missing"),
        ("SecretAccessKey", 5, "is not a string"),
        ("SessionToken", "a b", "holds a control character or a blank"),
        ("SessionToken", "A" * 16385, "is 16385 characters long"),
        ("Expiration", "2099-13-01T00:00:00Z", "is not an ISO 8601 timestamp"),
        ("Expiration", "tomorrow", "is not an ISO 8601 timestamp"),
        ("Expiration", "2099-01-01T00:00:00Z\n", "is not an ISO 8601 timestamp"),
        ("Expiration", None, "is missing"),
    ],
)
def test_shapes_refuse(field: str, value: object, why: str) -> None:
    from mfaenv.aws import shapes

    fields: dict[str, object] = {
        "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "SecretAccessKey": "x",
        "SessionToken": "t",
        "Expiration": "2099-01-01T00:00:00Z",
        field: value,
    }
    with pytest.raises(shapes.BadShape) as e:
        shapes.session(fields, "p")
    assert str(e.value) == f"{field} {why}" or str(e.value).startswith(f"{field} {why}")
    assert e.value.field == field


# ---- section 2: bounded time and memory ----


def _measured(args: list[str], env: dict[str, str], limit: float = 120) -> tuple[Result, float, int]:
    """Run mfaenv; its result, wall time and peak RSS (KiB), killed after `limit` s (a hard stop, not a benchmark)."""
    child_env = {**os.environ, **env}

    def cap_memory() -> None:  # the old code took 5 GB for a 1 GB body: keep the test machine safe
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [*MFAENV, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=child_env,
            start_new_session=True,
            preexec_fn=cap_memory,
        )
        timer = threading.Timer(limit, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        elapsed = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Result(proc.returncode, out.read().decode(), err.read().decode("utf-8", "replace"))
    return result, elapsed, usage.ru_maxrss


def _one_line(r: Result, code: int) -> str:
    assert r.code == code and r.out == "", r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mfaenv: "), r
    return lines[0]


@pytest.mark.parametrize("fault", ["trickle-headers", "trickle-body"])
def test_trickle_cannot_extend_the_deadline(user: IamUser, isolated: Path, fault: str) -> None:
    # One byte a second keeps every read within its timeout; the deadline still ends the exchange.
    with FaultSts(fault, interval=1).running() as sts:
        env = {"AWS_ENDPOINT_URL_STS": sts.url, "MFAENV_DEADLINE": "4", "MFAENV_READ_TIMEOUT": "3"}
        r, elapsed, _ = _measured(["login", "--token-code", CODE], env, limit=60)
    line = _one_line(r, NETWORK)
    assert f"STS at {sts.url} did not finish answering within 4 s" in line
    print(f"{fault}: failed after {elapsed:.1f} s")  # recorded in the README


@pytest.mark.parametrize("service", ["STS", "IAM"])
def test_huge_body_is_cut_off_in_bounded_memory(user: IamUser, isolated: Path, service: str) -> None:
    if service == "IAM":
        (isolated / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")  # the device is looked up
    with FaultSts("huge-body").running() as sts:
        env = {f"AWS_ENDPOINT_URL_{service}": sts.url}
        r, elapsed, peak = _measured(["login", "--token-code", CODE], env)
        sent = sts.sent
    line = _one_line(r, AWS)
    assert f"{sts.url} sent more than 1 MiB, which is not an {service} response; check the endpoint" in line
    assert peak < 256 * 1024, f"peak RSS {peak} KiB"  # mfaenv alone is about 60 MiB
    assert sent < 1 << 30  # it stopped reading: the server never got to the end
    print(f"huge-body ({service}): failed after {elapsed:.1f} s, peak RSS {peak // 1024} MiB")


def test_deadline_setting_is_checked(user: IamUser, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("login", "--token-code", CODE, code=INPUT, env={"MFAENV_DEADLINE": "soon"})
    assert "MFAENV_DEADLINE must be a whole number from 1 to 999999, not 'soon'" in line


def test_default_deadline_follows_the_timeouts() -> None:
    from mfaenv.aws import limits

    assert limits.deadline({}) == 3 * (3 + 10) + 5
    assert limits.deadline({"MFAENV_READ_TIMEOUT": "60", "MFAENV_MAX_ATTEMPTS": "1"}) == 3 + 60 + 5
    assert limits.deadline({"MFAENV_DEADLINE": "7", "MFAENV_READ_TIMEOUT": "60"}) == 7
