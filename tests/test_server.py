"""`mfaenv exec --server`: real SDKs read the credential endpoint, renewals need no code, refusals, faults.

End to end against moto's STS on loopback, through tests/recorder.py (which
counts the calls, sees which key signed each one, and here shortens the
sessions STS hands out) or tests/truststs.py (which enforces MFA on the roles).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CODE, IamUser
from tests.helpers import MFAENV, Mfaenv
from tests.recorder import Recorder
from tests.test_roles import NODE_DIR, TRUST, _aws_cli_v2, _node, config_text, dataclass_copy
from tests.truststs import TrustSts

ROLE_ARN = "arn:aws:sts::222222222222:assumed-role/Admin/mfaenv-prod-admin"
SECOND_CODE = "564738"


def _install(home: Path, user: IamUser) -> None:
    """Profile `work` and the role profiles, and long-term keys in [default]: the trap the endpoint must beat."""
    keys = f"aws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    creds = home / ".aws" / "credentials"
    creds.write_text(f"[default]\n{keys}\n[work]\n{keys}")
    creds.chmod(0o600)
    (home / ".aws" / "config").write_text(
        f"[default]\nregion = eu-west-1\noutput = json\nmfa_serial = {user.serial}\n\n{config_text(user)}"
    )


def _expiring_in(seconds: float) -> Callable[[bytes, bytes], bytes]:
    """A rewrite for the recorder: STS's answer, with its Expiration `seconds` from now."""

    def rewrite(_: bytes, data: bytes) -> bytes:
        when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
        return re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{when:%Y-%m-%dT%H:%M:%SZ}</Expiration>".encode(), data)

    return rewrite


class Shortener:
    """Rewrites the Expiration of the answers to `action` while `seconds` is set (None: as STS said)."""

    def __init__(self, action: bytes, seconds: float | None, only_first: bool = False) -> None:
        self.action, self.seconds, self.only_first = action, seconds, only_first

    def __call__(self, body: bytes, data: bytes) -> bytes:
        if self.seconds is None or b"Action=" + self.action not in body or b"<Expiration>" not in data:
            return data
        out = _expiring_in(self.seconds)(body, data)
        if self.only_first:
            self.seconds = None
        return out


@pytest.fixture
def roles(user: IamUser, isolated: Path) -> IamUser:
    _install(isolated, user)
    return user


@pytest.fixture
def recorder(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """STS through the recording proxy; its `rewrite` is set by the test."""
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", rec.url)
        yield rec


def _script(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"child{len(list(tmp_path.glob('child*.py')))}.py"
    path.write_text(text)
    return str(path)


def _said(err: str) -> list[str]:
    """mfaenv's lines on stderr, but for the first login's note on the session it made (from the cache or STS)."""
    first = ("mfaenv: using the cached MFA session", "mfaenv: new MFA session for ", "mfaenv: new role session for ")
    return [x for x in err.splitlines() if x.startswith("mfaenv: ") and not x.startswith(first)]


def _morning_login(mfaenv: Mfaenv) -> None:
    """The day's one code: the MFA session of `work`, cached."""
    r = mfaenv("login", "--profile", "work", "--token-code", CODE)
    assert r.code == 0, r


# ---- the real clients see the role, though [default] holds long-term keys ----


def test_boto3_aws_cli_and_js_sdk_see_the_role_not_the_default_keys(
    roles: IamUser, mfaenv: Mfaenv, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, node = _aws_cli_v2(), _node()
    with TrustSts(moto_server, {k: dataclass_copy(v) for k, v in TRUST.items()}).running() as sts:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        _morning_login(mfaenv)
        # The child's own calls go straight to moto (the AWS CLI 2.9 ignores AWS_ENDPOINT_URL_STS).
        check = _script(
            tmp_path,
            "import boto3, json, os\n"
            "print(boto3.client('sts').get_caller_identity()['Arn'])\n"
            "other = boto3.Session(profile_name='work').get_credentials().access_key\n"
            "argv = open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n"
            "print(json.dumps({'other': other, 'env': sorted(k for k in os.environ if k.startswith(('AWS_', 'MFAENV_'))),"
            " 'token_in_argv': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN'].encode() in argv,"
            " 'region': os.environ.get('AWS_REGION')}))\n",
        )
        callers = (
            f"{aws} sts get-caller-identity --endpoint-url {moto_server} --query Arn --output text && "
            f"AWS_ENDPOINT_URL_STS={moto_server} {sys.executable} {check} && "
            f"AWS_ENDPOINT_URL_STS={moto_server} {node} {NODE_DIR / 'whoami.mjs'}"
        )
        r = mfaenv("exec", "--server", "--profile", "prod-admin", "--", "sh", "-c", callers, timeout=120)
        assert r.code == 0, r
    lines = r.out.split("\n")
    assert lines[0] == lines[1] == lines[3] == ROLE_ARN, r.out
    seen = json.loads(lines[2])
    assert seen["other"] == roles.key_id  # the user's other profiles are still there, with their keys
    assert seen["token_in_argv"] is False and seen["region"] == "us-east-1"  # the role profile's, as plain exec
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(seen["env"])
    assert {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} <= set(seen["env"])
    assert sts.actions().count("GetSessionToken") == 1  # the morning's; the role needed no code
    ours = [line for line in r.err.splitlines() if line.startswith("mfaenv: ")]
    assert len(ours) == 1 and ours[0].startswith("mfaenv: using the cached MFA session of work"), r.err


# ---- refusals, and the endpoint ends with the command ----

PROBE = """
import http.client, json, os, urllib.parse
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def status(method="GET", path=url.path, host=url.netloc, auth=token):
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    c.putrequest(method, path, skip_host=True)
    if host is not None:
        c.putheader("Host", host)
    if auth is not None:
        c.putheader("Authorization", auth)
    c.endheaders()
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, sorted(body)
config = os.environ["AWS_CONFIG_FILE"]
print(json.dumps({
    "config": [config, oct(os.stat(config).st_mode & 0o777), oct(os.stat(os.path.dirname(config)).st_mode & 0o777)],
    "url": f"{url.hostname}:{url.port}",
    "ok": status(),
    "no token": status(auth=None),
    "wrong token": status(auth=token[:-1] + ("A" if token[-1] != "A" else "B")),
    "rebound host": status(host=f"evil.example:{url.port}"),
    "no host": status(host=None),
    "other path": status(path="/"),
    "post": status(method="POST"),
}))
"""


def test_refusals_and_the_endpoint_closes_with_the_command(roles: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    r = mfaenv("exec", "--server", "--token-code", CODE, "--", sys.executable, _script(tmp_path, PROBE))
    assert r.code == 0, r
    got = json.loads(r.out)
    assert got["ok"] == [200, ["AccessKeyId", "Expiration", "SecretAccessKey", "Token"]]
    assert got["no token"][0] == 401 and got["wrong token"][0] == 403
    assert got["rebound host"][0] == 403 and got["no host"][0] == 400
    assert got["other path"][0] == 404 and got["post"][0] == 405
    config, mode, folder_mode = got["config"]
    assert (mode, folder_mode) == ("0o600", "0o700") and not os.path.exists(config)  # private, and gone with the command
    host, port = got["url"].split(":")
    import socket

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()
    assert _said(r.err) == [], r.err  # no request log


# ---- renewals ----


def test_one_boto3_client_signs_with_successive_role_keys_without_a_code(
    roles: IamUser, mfaenv: Mfaenv, recorder: Recorder, tmp_path: Path
) -> None:
    _morning_login(mfaenv)
    # Role sessions of 16 minutes: the SDK asks again once 15 are left, a minute later,
    # and the endpoint must then hand out a new session (it keeps more than 15 minutes).
    recorder.rewrite = Shortener(b"AssumeRole", 16 * 60)
    loop = _script(
        tmp_path,
        "import boto3, time\n"
        "s = boto3.Session(); sts = s.client('sts'); keys = []\n"
        "end = time.monotonic() + 120\n"
        "while time.monotonic() < end and len(set(keys)) < 2:\n"
        "    sts.get_caller_identity()\n"
        "    keys.append(s.get_credentials().get_frozen_credentials().access_key)\n"
        "    time.sleep(1)\n"
        "print(' '.join(dict.fromkeys(keys)))\n",
    )
    start = len(recorder.requests)
    r = mfaenv("exec", "--server", "--profile", "prod-admin", "--", sys.executable, loop, timeout=180)
    assert r.code == 0, r
    used = r.out.split()
    assert len(used) == 2 and all(k.startswith("ASIA") for k in used), r
    actions = recorder.actions()[start:]
    signed = {k for k, a in zip(recorder.signing_keys()[start:], actions) if a == "GetCallerIdentity"}
    assert signed == set(used)  # STS saw both keys, from one client
    assert "GetSessionToken" not in actions and actions.count("AssumeRole") == 2, actions
    assert _said(r.err) == [], r.err  # no question, no failed renewal


CONCURRENT = """
import concurrent.futures, json, os, urllib.request
url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def fetch(_):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token}), timeout=30) as r:
        return r.status, json.loads(r.read())["AccessKeyId"]
with concurrent.futures.ThreadPoolExecutor(40) as pool:
    got = list(pool.map(fetch, range(80)))
print(json.dumps(got))
"""


def test_many_requests_at_once_make_one_renewal(
    roles: IamUser, mfaenv: Mfaenv, recorder: Recorder, tmp_path: Path
) -> None:
    _morning_login(mfaenv)
    # The first role session has under 15m30s left, so the first requests renew it; the next lasts an hour.
    recorder.rewrite = Shortener(b"AssumeRole", 15 * 60 + 10, only_first=True)
    start = len(recorder.requests)
    r = mfaenv("exec", "--server", "--profile", "prod-admin", "--", sys.executable, _script(tmp_path, CONCURRENT))
    assert r.code == 0, r
    got = json.loads(r.out)
    assert {status for status, _ in got} == {200} and len(got) == 80
    assert recorder.actions()[start:] == ["AssumeRole", "AssumeRole"]  # exec's first one, then one renewal
    assert _said(r.err) == []


def test_sts_down_during_a_renewal_serves_the_current_session_and_says_so_once(
    roles: IamUser, mfaenv: Mfaenv, recorder: Recorder, tmp_path: Path
) -> None:
    from tests.faultsts import error_doc

    _morning_login(mfaenv)
    recorder.rewrite = Shortener(b"AssumeRole", 15 * 60 + 10)
    calls = {"n": 0}

    def hook(rec: Recorder, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | None:
        if b"Action=AssumeRole" in body:
            calls["n"] += 1
            if calls["n"] > 1:  # the exec's own login got through; STS is down for the renewals
                return 503, error_doc("ServiceUnavailable", "Service is unavailable")
        return None

    recorder.hook = hook
    fetch = CONCURRENT.replace("ThreadPoolExecutor(40)", "ThreadPoolExecutor(1)").replace("range(80)", "range(3)")
    r = mfaenv(
        "exec", "--server", "--profile", "prod-admin", "--", sys.executable, _script(tmp_path, fetch),
        env={"MFAENV_MAX_ATTEMPTS": "1"},
    )
    assert r.code == 0, r
    got = json.loads(r.out)
    assert [s for s, _ in got] == [200] * 3 and len({k for _, k in got}) == 1
    lines = _said(r.err)
    assert len(lines) == 1 and lines[0].startswith("mfaenv: could not renew the session: "), r.err
    assert "handing out the current one meanwhile" in lines[0]


LOGIN_NEEDED = """
import json, os, pathlib, sys, time, urllib.error, urllib.request
url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def fetch():
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token}), timeout=30) as r:
            return r.status, json.loads(r.read())["Expiration"]
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["Message"]
seen = [fetch()]
pathlib.Path(sys.argv[1]).write_text("asked")
end = time.monotonic() + 60
while seen[-1][0] != 200 and time.monotonic() < end:
    time.sleep(0.5)
    seen.append(fetch())
print(json.dumps([seen[0], seen[-1]]))
"""


def test_an_ending_mfa_session_asks_for_a_login_elsewhere_and_picks_it_up(
    roles: IamUser, mfaenv: Mfaenv, recorder: Recorder, tmp_path: Path
) -> None:
    # The morning's MFA session (profile work) is about to end: 100 s left.
    recorder.rewrite = Shortener(b"GetSessionToken", 100)
    ready = tmp_path / "asked"
    child = subprocess.Popen(
        [*MFAENV, "exec", "--server", "--profile", "work", "--token-code", CODE, "--",
         sys.executable, _script(tmp_path, LOGIN_NEEDED), str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        recorder.rewrite = None
        # "In another terminal": the login the message asked for.
        assert mfaenv("login", "--fresh", "--profile", "work", "--token-code", SECOND_CODE).code == 0
        out, err = child.communicate(timeout=90)
    finally:
        child.kill()
        child.communicate()
    first, last = json.loads(out)
    assert first[0] == 500 and "mfaenv login --fresh --profile work" in first[1], first
    assert last[0] == 200 and dt.datetime.fromisoformat(last[1].replace("Z", "+00:00")) > dt.datetime.now(
        dt.timezone.utc
    ) + dt.timedelta(hours=11)
    lines = _said(err.decode())
    assert len(lines) == 2, lines  # what to do, once; then that the login was picked up
    assert "run `mfaenv login --fresh --profile work` in another terminal" in lines[0]
    assert "renewed" in lines[1]
    assert recorder.actions().count("GetSessionToken") == 2  # exec's, and the other terminal's


# ---- faults ----


def test_a_command_that_cannot_start(roles: IamUser, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("exec", "--server", "--token-code", CODE, "--", "no-such-command-here", code=127)
    assert "no-such-command-here" in line and "not found" in line


HOLD_EVERY_PORT = """
import socket, subprocess, sys
held = []
for port in (40000, 40001):  # the namespace's whole ephemeral range
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    held.append(s)
sys.exit(subprocess.run(sys.argv[1:]).returncode)
"""


def test_no_port_to_listen_on(roles: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("unshare -rn (util-linux, user namespaces) is needed for a network namespace of our own")
        pytest.skip("no unshare -rn here")
    assert mfaenv("login", "--token-code", CODE).code == 0  # cached: exec needs no network but the endpoint's
    # A network namespace of our own whose ephemeral ports are all taken: port 0 cannot be bound.
    hold = _script(tmp_path, HOLD_EVERY_PORT)
    inner = f"sysctl -qw net.ipv4.ip_local_port_range='40000 40001' && exec {sys.executable} {hold} \"$@\""
    argv = [unshare, "-rn", "sh", "-c", inner, "sh", *MFAENV, "exec", "--server", "--", "true"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, start_new_session=True)
    assert p.returncode == 127 and p.stdout == "", p
    (line,) = [x for x in p.stderr.strip().splitlines() if "using the cached session" not in x]
    assert line.startswith("mfaenv: cannot listen on 127.0.0.1 for the credential endpoint: ") and "not started" in line
    assert "using the cached" not in p.stderr  # a failure says one line: the notes wait for success


def test_the_command_killed_by_a_signal(roles: IamUser, mfaenv: Mfaenv) -> None:
    r = mfaenv("exec", "--server", "--token-code", CODE, "--", "sh", "-c", "kill -KILL $$")
    assert r.code == 128 + signal.SIGKILL and _said(r.err) == [], r


def test_a_term_sent_to_mfaenv_goes_to_the_command(roles: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0
    script = _script(tmp_path, "import os, time\nprint(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], flush=True)\ntime.sleep(60)\n")
    child = subprocess.Popen(
        [*MFAENV, "exec", "--server", "--", sys.executable, script],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        url = child.stdout.readline()  # type: ignore[union-attr]
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 128 + signal.SIGTERM
    finally:
        child.kill()
        child.communicate()
    import socket

    port = int(url.split(":")[2].split("/")[0])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_an_ending_mfa_session_is_renewed_with_the_profiles_token_command(
    roles: IamUser, mfaenv: Mfaenv, recorder: Recorder, isolated: Path, tmp_path: Path
) -> None:
    # A token command that gives a new code each time (AWS takes each code once).
    counter = tmp_path / "count"
    command = _script(
        tmp_path,
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 0\n"
        "p.write_text(str(n))\n"
        f"print({[CODE, SECOND_CODE]!r}[n])\n",
    )
    config = isolated / ".aws" / "config"
    config.write_text(config.read_text().replace("[profile work]\n", f"[profile work]\nmfaenv_token_command = {sys.executable} {command}\n"))
    recorder.rewrite = Shortener(b"GetSessionToken", 100, only_first=True)  # exec's own session ends soon
    fetch = CONCURRENT.replace("ThreadPoolExecutor(40)", "ThreadPoolExecutor(1)").replace("range(80)", "range(2)")
    start = len(recorder.requests)
    r = mfaenv("exec", "--server", "--profile", "work", "--", sys.executable, _script(tmp_path, fetch))
    assert r.code == 0, r
    assert [s for s, _ in json.loads(r.out)] == [200, 200]
    assert recorder.actions()[start:] == ["GetSessionToken", "GetSessionToken"]  # exec's, then the renewal's
    assert counter.read_text() == "1" and _said(r.err) == [], r.err


def test_a_profile_of_the_users_named_mfaenv_server_is_not_shadowed(
    roles: IamUser, mfaenv: Mfaenv, isolated: Path
) -> None:
    config = isolated / ".aws" / "config"
    config.write_text(config.read_text() + "\n[profile mfaenv-server]\nregion = us-west-2\n")
    line = mfaenv.fails("exec", "--server", "--token-code", CODE, "--", "true", code=2)
    assert "'mfaenv-server' exists already" in line and "rename yours" in line


def test_the_first_code_is_asked_on_the_terminal_then_the_command_runs(
    roles: IamUser, moto_server: str, tmp_path: Path
) -> None:
    """aws-vault refuses prompts with its server; here the first session is made, with its question, before."""
    import pexpect

    script = _script(tmp_path, "import boto3\nprint('arn=' + boto3.client('sts').get_caller_identity()['Arn'])\n")
    child = pexpect.spawn(
        MFAENV[0], [*MFAENV[1:], "exec", "--server", "--profile", "prod-admin", "--", sys.executable, script],
        env=dict(os.environ), encoding="utf-8", timeout=60,
    )
    try:
        child.expect_exact("MFA code for ")
        child.send(CODE + "\r")
        child.expect(r"arn=(\S+)")
        assert child.match.group(1) == ROLE_ARN
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
