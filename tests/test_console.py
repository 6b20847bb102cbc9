"""`mfaenv console`: the role session the cache holds, traded at a stand-in federation endpoint, and the URL.

Roles come from moto's STS on loopback; the federation endpoint is a small
threaded HTTP server here (AWS_ENDPOINT_URL_SIGNIN), which records every
request exactly and answers as each test tells it to. The sign-in token and
the session are secrets: every run checks that neither reaches stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mfaenv.aws import federation
from mfaenv.errors import MfaenvError
from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.helpers import MFAENV, Mfaenv, Result
from tests.realshells import evaluate

ADMIN = "arn:aws:iam::222222222222:role/Admin"
LONG = "arn:aws:iam::222222222222:role/LongAdmin"
#: The stand-in's sign-in token: +, / and = must arrive percent-encoded in the URL.
TOKEN = "SiGnInToKeN+abc/def=="
ENCODED_TOKEN = "SiGnInToKeN%2Babc%2Fdef%3D%3D"
S3_US_EAST_1 = "https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Dus-east-1"
HOME_US_EAST_1 = "https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1"


class Signin:
    """The stand-in federation endpoint: records (path, query) of each GET; answers with `status`, `kind`, `body`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.status, self.kind = 200, "application/json;charset=UTF-8"
        self.body = json.dumps({"SigninToken": TOKEN}).encode()
        self.headers: dict[str, str] = {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path, _, query = self.path.partition("?")
                stand_in.requests.append((path, urllib.parse.parse_qs(query, keep_blank_values=True)))
                self.send_response(stand_in.status)
                self.send_header("Content-Type", stand_in.kind)
                for k, v in stand_in.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(stand_in.body)))
                self.end_headers()
                self.wfile.write(stand_in.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def sessions(self) -> list[dict[str, str]]:
        return [json.loads(q["Session"][0]) for _, q in self.requests]


@pytest.fixture
def signin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Signin]:
    stand_in = Signin()
    thread = threading.Thread(target=stand_in.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", stand_in.url)
    for var in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "TERM"):
        monkeypatch.delenv(var, raising=False)  # no browser unless a test sets one
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def roles(user: IamUser, isolated: Path) -> Path:
    """Profile `work` (the user's keys) and role profiles made from it; moto's STS behind AWS_ENDPOINT_URL_STS."""
    aws = isolated / ".aws"
    (aws / "credentials").write_text(
        f"[work]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    (aws / "config").write_text(
        f"[profile work]\nmfa_serial = {user.serial}\nregion = eu-west-1\n\n"
        f"[profile prod-admin]\nrole_arn = {ADMIN}\nsource_profile = work\nregion = us-east-1\n\n"
        f"[profile long-admin]\nrole_arn = {LONG}\nsource_profile = work\nduration_seconds = 28800\n\n"
        "[profile other]\naws_access_key_id = AKIAOTHEREXAMPLE0001\naws_secret_access_key = x\n"
    )
    return aws


@pytest.fixture
def mfaenv(user: IamUser) -> Mfaenv:
    """The CLI; every run fails its test if the sign-in token (or the user's secrets) reach stderr."""
    return Mfaenv(secrets=(user.secret, MOTO_SESSION_SECRET, CODE, TOKEN, ENCODED_TOKEN, "SigninToken="))


def _no_session_in(line: str, home: Path) -> None:
    """The role session the login made (and sent) is not in the failure's line."""
    entry = _role_entry(home, "prod-admin")
    assert entry["SecretAccessKey"] not in line and entry["SessionToken"] not in line


def _role_entry(home: Path, profile: str) -> dict[str, str]:
    folder = home / ".cache" / "mfaenv" / "sessions"
    docs = [json.loads(p.read_text()) for p in folder.glob("[0-9a-f]*-*.json")]
    (doc,) = [d for d in docs if d["Profile"] == profile and d.get("Kind") == "role"]
    return doc


def _url(signin: Signin, destination: str) -> str:
    """The sign-in URL, written out: percent-encoding included."""
    return f"{signin.url}/federation?Action=login&Issuer=mfaenv&Destination={destination}&SigninToken={ENCODED_TOKEN}"


def _clean(r: Result, *secrets: str) -> Result:
    """Nothing secret on stderr: the sign-in token, the URL, the session sent."""
    for secret in (TOKEN, ENCODED_TOKEN, "SigninToken=", MOTO_SESSION_SECRET, *secrets):
        assert secret not in r.err, r
    return r


def test_print_sends_the_role_session_the_cache_holds(
    signin: Signin, roles: Path, mfaenv: Mfaenv, isolated: Path, tmp_path: Path
) -> None:
    shell, _ = evaluate("bash", f"{' '.join(MFAENV)} login --profile prod-admin --token-code {CODE}", tmp_path)
    entry = _role_entry(isolated, "prod-admin")
    held = {"sessionId": entry["AccessKeyId"], "sessionKey": entry["SecretAccessKey"]}
    held["sessionToken"] = entry["SessionToken"]
    # What the shell got from login is what the cache holds: the role's session, not the MFA session.
    assert (shell["AWS_ACCESS_KEY_ID"], shell["AWS_SESSION_TOKEN"]) == (held["sessionId"], held["sessionToken"])

    # No code, no terminal: the cached role session; PROFILE as a word, and the same via --profile.
    expected = _url(signin, S3_US_EAST_1) + "\n"
    for args in (("prod-admin",), ("--profile", "prod-admin"), ("prod-admin", "-p", "prod-admin")):
        r = _clean(mfaenv("console", *args, "--service", "s3", "--print"), *held.values())
        assert r.code == 0 and r.out == expected, r
        assert "using the cached session for prod-admin" in r.err
    # No profile: the session this shell holds, as login.
    r = _clean(mfaenv("console", "--print", env={"MFAENV_PROFILE": "prod-admin"}), *held.values())
    assert r.code == 0 and r.out == _url(signin, HOME_US_EAST_1) + "\n"

    assert len(signin.requests) == 4
    for path, query in signin.requests:
        # Exactly the documented request; no SessionDuration for a role assumed with the MFA session (chained).
        assert path == "/federation" and set(query) == {"Action", "Session"} and query["Action"] == ["getSigninToken"]
    assert signin.sessions() == [held] * 4


def test_console_logs_in_where_login_would(signin: Signin, roles: Path, mfaenv: Mfaenv, isolated: Path) -> None:
    """No cached session: the login flow runs (one code), caches the role session, and that is the one sent."""
    r = _clean(mfaenv("console", "prod-admin", "--print", "--token-code", CODE, "--region", "eu-west-1"))
    assert r.code == 0, r
    entry = _role_entry(isolated, "prod-admin")
    held = {"sessionId": entry["AccessKeyId"], "sessionKey": entry["SecretAccessKey"]}
    assert signin.sessions() == [{**held, "sessionToken": entry["SessionToken"]}]
    assert "Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&" in r.out
    assert entry["SecretAccessKey"] not in r.err and entry["SessionToken"] not in r.err


def test_a_role_assumed_with_the_long_term_keys_asks_for_its_length(
    signin: Signin, roles: Path, mfaenv: Mfaenv
) -> None:
    r = _clean(mfaenv("console", "long-admin", "--print", "--token-code", CODE))
    assert r.code == 0, r
    ((_, query),) = signin.requests
    assert 28000 < int(query["SessionDuration"][0]) <= 28800  # its 8 hours left, not the console's default
    # No region anywhere: the global console.
    assert "Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome&" in r.out


def test_the_browser_gets_the_url(signin: Signin, roles: Path, mfaenv: Mfaenv, tmp_path: Path) -> None:
    got = tmp_path / "url"
    script = tmp_path / "browser"
    script.write_text(f"#!/bin/sh\numask 077\nprintf '%s' \"$1\" > {got}\necho noise-out\necho noise-err >&2\n")
    script.chmod(0o700)
    r = _clean(mfaenv("console", "prod-admin", "--token-code", CODE, env={"BROWSER": str(script)}))
    assert r.code == 0 and r.out == "", r
    assert got.stat().st_mode & 0o777 == 0o600
    expected = _url(signin, HOME_US_EAST_1)
    assert got.read_text() == expected
    assert "noise" not in r.out + r.err  # the browser's own output went to /dev/null


def test_no_browser_says_print(signin: Signin, roles: Path, mfaenv: Mfaenv, tmp_path: Path) -> None:
    line = mfaenv.fails("console", "prod-admin", code=2)
    assert "--print" in line and "no browser" in line
    # A terminal browser is what webbrowser falls back to: refused, never started.
    bin_dir, ran = tmp_path / "bin", tmp_path / "ran"
    bin_dir.mkdir()
    (bin_dir / "lynx").write_text(f"#!/bin/sh\ntouch {ran}\n")
    (bin_dir / "lynx").chmod(0o700)
    env = {"TERM": "xterm", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    line = mfaenv.fails("console", "prod-admin", code=2, env=env)
    assert "lynx is a terminal browser" in line and "--print" in line
    assert not ran.exists() and signin.requests == []  # refused before any code, call or browser


def test_a_plain_mfa_profile_is_refused_naming_its_roles(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("console", "work", "--token-code", CODE, code=2)
    assert "console needs a role profile" in line and "long-admin, prod-admin (mfaenv console long-admin)" in line
    line = mfaenv.fails("console", "other", code=2)
    assert "add one to the config file" in line and "source_profile = other" in line
    assert "profile 'nosuch' not found" in mfaenv.fails("console", "nosuch", code=2)
    assert signin.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1", "https://user@signin.example", "https://x/?a=1"],
)
def test_a_signin_endpoint_that_would_expose_the_session_is_refused(
    url: str, signin: Signin, roles: Path, mfaenv: Mfaenv
) -> None:
    line = mfaenv.fails("console", "prod-admin", "--print", code=2, env={"AWS_ENDPOINT_URL_SIGNIN": url})
    assert "AWS_ENDPOINT_URL_SIGNIN" in line and "the session is sent there" in line


@pytest.mark.parametrize(
    ("status", "kind", "body", "said"),
    [
        (200, "text/html", b"<html><body>Sign in</body></html>", "not a sign-in token (text/html)"),
        (400, "text/html", b"<html>Bad request</html>", "HTTP 400"),
        (302, "text/html", b"", "redirect, not followed"),
        (200, "application/json", json.dumps({"SigninToken": "a b\n"}).encode(), "not a sign-in token"),
        (200, "application/json", json.dumps({"SigninToken": "x" * 70_000}).encode(), "over 64 KiB"),
    ],
)
def test_an_answer_that_is_not_a_token_is_exit_5(
    status: int, kind: str, body: bytes, said: str, signin: Signin, roles: Path, mfaenv: Mfaenv, isolated: Path
) -> None:
    signin.status, signin.kind, signin.body = status, kind, body
    signin.headers = {"Location": f"{signin.url}/elsewhere"} if status == 302 else {}
    line = mfaenv.fails("console", "prod-admin", "--print", "--token-code", CODE, code=5)
    assert said in line
    _no_session_in(line, isolated)
    assert [p for p, _ in signin.requests] == ["/federation"]  # one request: a redirect is not followed


def test_no_connection_is_exit_4(signin: Signin, roles: Path, mfaenv: Mfaenv, closed_port: int, isolated: Path) -> None:
    env = {"AWS_ENDPOINT_URL_SIGNIN": f"http://127.0.0.1:{closed_port}"}
    line = mfaenv.fails("console", "prod-admin", "--print", "--token-code", CODE, code=4, env=env)
    assert f"cannot reach http://127.0.0.1:{closed_port}/federation" in line
    _no_session_in(line, isolated)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--service", "S3/../x"), "--service 'S3/../x' is not a console path name"),
        (("--service", ""), "e.g. s3, ec2, iam"),
        (("--destination", "https://evil.example/"), "--destination must be an https URL on console.aws.amazon.com"),
        (("--destination", "http://console.aws.amazon.com/"), "--destination must be"),
        (("--destination", "https://console.aws.amazon.com.evil.example/"), "--destination must be"),
        (("--service", "s3", "--destination", "https://console.aws.amazon.com/"), "give one"),
        (("--profile", "long-admin"), "name different profiles"),
        (("--region", "cn-north-1"), "not in partition aws"),
        (("--region", "eu west"), "region 'eu west' from --region is not a region name"),
    ],
)
def test_bad_pages_are_refused(args: tuple[str, ...], said: str, signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("console", "prod-admin", "--print", *args, code=2)
    assert said in line
    assert signin.requests == []


def test_a_region_from_the_environment_is_checked(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("console", "long-admin", "--print", code=2, env={"AWS_REGION": "eu-west-1;x"})
    assert "from AWS_REGION is not a region name" in line and signin.requests == []


def test_a_cached_console_loads_no_botocore(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    assert mfaenv("console", "prod-admin", "--print", "--token-code", CODE).code == 0
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv", "console", "prod-admin", "--print"],
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {line.split(b"|")[-1].strip().split(b".")[0] for line in p.stderr.splitlines() if b"|" in line}
    assert b"mfaenv" in imported and not {b"botocore", b"boto3"} & imported


# ---- the pure parts: partitions and pages ----


def test_partitions_have_their_own_hosts() -> None:
    assert federation.partition("arn:aws-cn:iam::123456789012:role/R") == "aws-cn"
    assert federation.destination("aws-cn", "cn-north-1", "ec2") == (
        "https://cn-north-1.console.amazonaws.cn/ec2/home?region=cn-north-1"
    )
    assert federation.destination("aws-us-gov", None, None) == "https://console.amazonaws-us-gov.com/console/home"
    assert federation.signin_base("aws-us-gov", {}) == "https://signin.amazonaws-us-gov.com"
    assert federation.signin_base("aws", {"AWS_ENDPOINT_URL_SIGNIN": "http://[::1]:9/x/"}) == "http://[::1]:9/x"
    good = "https://eu-west-1.console.amazonaws.cn/s3/home"
    assert federation.check_destination(good, "aws-cn") == good
    with pytest.raises(MfaenvError):
        federation.check_destination("https://eu-west-1.console.aws.amazon.com/", "aws-cn")
    with pytest.raises(MfaenvError, match="partition aws-iso"):
        federation.partition("arn:aws-iso:iam::123456789012:role/R")
