"""Keys off the disk: add, remove and rotate against a real Secret Service (gnome-keyring on a private D-Bus).

moto checks no signature, so "the key works" is proved here the way AWS would
check it: the recording proxy recomputes each request's SigV4 signature with
the secret the store holds (tests/recorder.py, signature_ok).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, make_user
from tests.helpers import MFAENV, Mfaenv
from tests.recorder import Recorder
from tests.secretservice import SecretService

PROFILE = "work"


@pytest.fixture
def work(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """An IAM user for profile `work`, whose keys are in no file: config has only its region and serial."""
    u = make_user(moto_server)
    (isolated / ".aws" / "config").write_text(f"[profile {PROFILE}]\nregion = eu-west-1\nmfa_serial = {u.serial}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    return u


def runner(u: IamUser) -> Mfaenv:
    return Mfaenv(secrets=(u.secret, MOTO_SESSION_SECRET, CODE))


def stored(service: SecretService, key_id: str, profile: str = PROFILE) -> str | None:
    """What the Secret Service holds for (profile, key id), read with keyring's own client."""
    import keyring.backends.SecretService as ss

    old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = service.address
    try:
        return ss.Keyring().get_password(f"mfaenv:{profile}", key_id)
    finally:
        if old is None:
            del os.environ["DBUS_SESSION_BUS_ADDRESS"]
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = old


def files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and secret.encode() in p.read_bytes()]


def admin_iam(endpoint: str):  # noqa: ANN201 - a boto3 client
    import boto3

    admin = boto3.Session(aws_access_key_id="AKIAADMINEXAMPLE0001", aws_secret_access_key="x", region_name="us-east-1")
    return admin.client("iam", endpoint_url=endpoint)


def iam_keys(endpoint: str, user: str) -> list[str]:
    return [k["AccessKeyId"] for k in admin_iam(endpoint).list_access_keys(UserName=user)["AccessKeyMetadata"]]


def marker(isolated: Path) -> dict[str, str]:
    import configparser

    parser = configparser.RawConfigParser()
    parser.read(isolated / ".aws" / "config")
    return dict(parser.items(f"profile {PROFILE}"))


def add_from_stdin(u: IamUser, *extra: str) -> None:
    r = runner(u)("add", PROFILE, *extra, input=f"{u.key_id}\n{u.secret}\n".encode())
    assert r.code == 0 and r.out == "", r


def sts_calls(rec: Recorder, action: str) -> list[int]:
    return [i for i, a in enumerate(rec.actions()) if a == action]


# -- add, then login -----------------------------------------------------------------------


def test_add_on_the_terminal_then_login_with_no_key_in_any_file(
    keyring: SecretService, work: IamUser, moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "mfaenv", "add", PROFILE], encoding="utf-8", timeout=30)
    child.expect("access key id")
    child.send(work.key_id + "\r")
    child.expect("secret access key")
    child.send(work.secret + "\r")
    child.expect(r"Set `credential_process = mfaenv credential-process --profile work`.*\[y/N\] ")
    child.send("y\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert work.secret not in child.before  # not echoed
    assert stored(keyring, work.key_id) == work.secret
    assert marker(isolated)["mfaenv_keyring"] == work.key_id
    assert marker(isolated)["credential_process"] == f"mfaenv credential-process --profile {PROFILE}"

    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        script = f'eval "$({" ".join(MFAENV)} login --profile {PROFILE})" && echo "token=${{AWS_SESSION_TOKEN:+set}}"'
        child = pexpect.spawn("bash", ["--norc", "-c", script], encoding="utf-8", timeout=30)
        child.expect("MFA code for")
        child.send(CODE + "\r")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0 and "token=set" in child.before, child.before
        (call,) = sts_calls(rec, "GetSessionToken")
        assert rec.signing_keys()[call] == work.key_id and rec.signed_with(call, work.secret)
    assert files_holding(isolated, work.secret) == []
    assert files_holding(keyring.root, work.secret) == []  # gnome-keyring's file is encrypted


def test_add_from_credentials_file_moves_only_those_lines(
    keyring: SecretService, work: IamUser, moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_user(moto_server)
    before = (
        "# my keys\n"
        f"[default]\naws_access_key_id = {other.key_id}\naws_secret_access_key = {other.secret}\n\n"
        f"[{PROFILE}]\n# the work account\naws_access_key_id   = {work.key_id}\n"
        f"aws_secret_access_key={work.secret}\nregion = eu-west-1\n\n[later]\noutput = json\n"
    )
    creds = isolated / ".aws" / "credentials"
    creds.write_text(before)
    creds.chmod(0o600)
    add_from_stdin(work, "--from-credentials-file", "--credential-process")
    expected = before.replace(f"aws_access_key_id   = {work.key_id}\n", "").replace(
        f"aws_secret_access_key={work.secret}\n", ""
    )
    assert creds.read_text() == expected
    assert files_holding(isolated, work.secret) == []
    assert stored(keyring, work.key_id) == work.secret
    config = marker(isolated)
    assert config["credential_process"] == f"mfaenv credential-process --profile {PROFILE}"
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        r = runner(work)("login", "--profile", PROFILE, "--token-code", CODE)
        assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
        (call,) = sts_calls(rec, "GetSessionToken")
        assert rec.signed_with(call, work.secret)


def test_add_refuses_a_malformed_key_id_and_stores_nothing(keyring: SecretService, work: IamUser) -> None:
    line = runner(work).fails("add", PROFILE, code=2, input=f"ASIA{work.key_id[4:]}\n{work.secret}\n".encode())
    assert "temporary key" in line
    line = runner(work).fails("add", PROFILE, code=2, input=f"AKIA-not-a-key\n{work.secret}\n".encode())
    assert "not an IAM user's long-term key id" in line
    assert stored(keyring, f"ASIA{work.key_id[4:]}") is None


# -- the plain AWS tools through the credential_process line ------------------------------------


def _aws_cli_v2() -> str | None:
    import shutil

    for candidate in (shutil.which("aws"), "/usr/bin/aws"):
        if candidate and os.path.exists(candidate):
            p = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=60, check=False)
            if p.stdout.startswith("aws-cli/2."):
                return candidate
    return None


def test_aws_cli_v2_and_boto3_get_the_mfa_session_through_credential_process(
    keyring: SecretService, work: IamUser, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = _aws_cli_v2()
    if aws is None:
        if os.environ.get("CI"):
            pytest.fail("the AWS CLI v2 is missing (scripts/setup.sh installs Debian's awscli)")
        pytest.skip("no AWS CLI v2")
    add_from_stdin(work, "--credential-process")
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        # The CLI runs `mfaenv credential-process --profile work`, which asks for the code on the terminal.
        child = pexpect.spawn(
            aws,
            ["sts", "get-caller-identity", "--profile", PROFILE, "--endpoint-url", rec.url, "--output", "text"],
            encoding="utf-8",
            timeout=60,
        )
        child.expect("MFA code for")
        child.send(CODE + "\r")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0 and "arn:aws:" in child.before, child.before
        boto = subprocess.run(
            [
                sys.executable,
                "-c",
                "import boto3, sys; c = boto3.Session(profile_name=sys.argv[1]).client('sts', endpoint_url=sys.argv[2]);"
                " print(c.get_caller_identity()['Arn'])",
                PROFILE,
                rec.url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,  # no terminal: the cached session must serve it
        )
        assert boto.returncode == 0 and "arn:aws:" in boto.stdout, boto.stderr[-2000:]
        actions, keys = rec.actions(), rec.signing_keys()
        # One GetSessionToken with the long-term key (from the keyring), then both tools sign with the session.
        (gst,) = sts_calls(rec, "GetSessionToken")
        assert keys[gst] == work.key_id and rec.signed_with(gst, work.secret)
        callers = [i for i, a in enumerate(actions) if a == "GetCallerIdentity"]
        assert len(callers) == 2
        for i in callers:
            assert keys[i] != work.key_id and rec.requests[i][0].get("x-amz-security-token")
            assert rec.signed_with(i, MOTO_SESSION_SECRET)


# -- no keyring, a locked keyring, and plaintext backends ---------------------------------------


def test_a_role_whose_source_profile_is_in_the_keyring_is_assumed_with_the_mfa_session(
    keyring: SecretService, work: IamUser, moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_from_stdin(work, "--credential-process")
    with (isolated / ".aws" / "config").open("a") as f:
        f.write(
            f"\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = {PROFILE}\nregion = eu-west-1\n"
        )
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        assert runner(work)("login", "--profile", PROFILE, "--token-code", CODE).code == 0
        boto = subprocess.run(
            [
                sys.executable,
                "-c",
                "import boto3; print(boto3.Session(profile_name='admin').client('sts').get_caller_identity()['Arn'])",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
        )
        assert boto.returncode == 0 and ":assumed-role/Admin/" in boto.stdout, boto.stderr[-2000:]
        (assume,) = sts_calls(rec, "AssumeRole")
        assert rec.signing_keys()[assume] != work.key_id and rec.signed_with(assume, MOTO_SESSION_SECRET)


def test_no_keyring_gives_one_line_naming_the_choices(work: IamUser, isolated: Path) -> None:
    line = runner(work).fails("add", PROFILE, code=2, input=f"{work.key_id}\n{work.secret}\n".encode())
    assert "no OS keyring is available" in line and "--keyring file" in line and "--keyring pass" in line
    assert "plaintext" in line
    assert "mfaenv_keyring" not in (isolated / ".aws" / "config").read_text()


def test_a_plaintext_plugin_never_outranks_the_os_keyring(
    work: IamUser, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keyring: SecretService
) -> None:
    """A keyring plugin of top priority that writes plaintext (as keyrings.alt's does) is never chosen."""
    plugins = tmp_path / "plugins"
    (plugins / "plainring-1.0.dist-info").mkdir(parents=True)
    (plugins / "plainring-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: plainring\nVersion: 1.0\n"
    )
    (plugins / "plainring-1.0.dist-info" / "entry_points.txt").write_text("[keyring.backends]\nplain = plainring\n")
    sink = tmp_path / "plaintext.txt"
    (plugins / "plainring.py").write_text(
        "from keyring.backend import KeyringBackend\n"
        "class Plain(KeyringBackend):\n"
        "    priority = 100\n"
        f"    def set_password(self, s, u, p): open({str(sink)!r}, 'a').write(p)\n"
        "    def get_password(self, s, u): return None\n"
        "    def delete_password(self, s, u): pass\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(plugins))
    probe = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__name__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "Plain", probe  # keyring itself would pick it
    add_from_stdin(work)
    assert stored(keyring, work.key_id) == work.secret
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    line = runner(work).fails("add", "other", code=2, input=f"{work.key_id}\n{work.secret}\n".encode())
    assert "no OS keyring is available" in line
    assert not sink.exists()


def test_locked_keyring_gives_one_line(work: IamUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SecretService.available():
        if os.environ.get("CI"):
            pytest.fail("gnome-keyring is missing (scripts/setup.sh installs it)")
        pytest.skip("no gnome-keyring")
    # A keyring nobody unlocked (no login collection yet): the unlock prompt is dismissed.
    fresh = SecretService(tmp_path / "fresh", password=None).start()
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", fresh.address)
        line = runner(work).fails("add", PROFILE, code=3, input=f"{work.key_id}\n{work.secret}\n".encode())
        assert "locked" in line and "unlock" in line
    finally:
        fresh.stop()
    # A keyring that held the key and was locked since.
    service = SecretService(tmp_path / "locked").start()
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        add_from_stdin(work)
        import secretstorage

        with secretstorage.dbus_init() as bus:
            secretstorage.get_default_collection(bus).lock()
        line = runner(work).fails("login", "--profile", PROFILE, "--token-code", CODE, code=3)
        assert "locked" in line and "unlock" in line
    finally:
        service.stop()


def test_login_of_a_keyring_profile_without_the_keyring_says_so(
    keyring: SecretService, work: IamUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_from_stdin(work)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    line = runner(work).fails("login", "--profile", PROFILE, "--token-code", CODE, code=2)
    assert "no OS keyring is available" in line


def test_cached_login_never_opens_the_keyring(
    keyring: SecretService, work: IamUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_from_stdin(work)
    assert runner(work)("login", "--profile", PROFILE, "--token-code", CODE).code == 0
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")  # the keyring is gone: only the cache can answer
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv", "login", "--profile", PROFILE],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode == 0 and b"AWS_SESSION_TOKEN" in p.stdout, p.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in p.stderr.decode().splitlines() if "|" in line}
    assert not {"keyring", "secretstorage", "jeepney", "cryptography", "botocore", "click"} & imported


# -- remove ------------------------------------------------------------------------------------------


def test_remove_asks_then_deletes_item_marker_and_credential_process(
    keyring: SecretService, work: IamUser, isolated: Path
) -> None:
    add_from_stdin(work, "--credential-process")
    line = runner(work).fails("remove", PROFILE, code=2)
    assert "--yes" in line and stored(keyring, work.key_id) == work.secret
    r = runner(work)("remove", PROFILE, "--yes")
    assert r.code == 0 and r.out == "", r
    assert stored(keyring, work.key_id) is None
    assert not {"mfaenv_keyring", "credential_process"} & set(marker(isolated))
    line = runner(work).fails("login", "--profile", PROFILE, "--token-code", CODE, code=2)
    assert "has no aws_access_key_id" in line


def test_remove_on_the_terminal_asks_first(keyring: SecretService, work: IamUser) -> None:
    add_from_stdin(work)
    child = pexpect.spawn(sys.executable, ["-m", "mfaenv", "remove", PROFILE], encoding="utf-8", timeout=30)
    child.expect(r"\[y/N\]")
    child.send("n\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2 and stored(keyring, work.key_id) == work.secret


# -- rotate ---------------------------------------------------------------------------------------


def stored_key(isolated: Path, service: SecretService) -> tuple[str, str | None]:
    """The key id the marker points at, and the secret the keyring holds for it."""
    key_id = marker(isolated)["mfaenv_keyring"]
    return key_id, stored(service, key_id)


def login_signs_with(u: IamUser, moto_server: str, key_id: str, secret: str, code: str) -> None:
    """A fresh login works, and its GetSessionToken carries a valid signature of that key."""
    with Recorder(moto_server).running() as rec:
        r = runner(u)(
            "login", "--profile", PROFILE, "--fresh", "--token-code", code, env={"AWS_ENDPOINT_URL_STS": rec.url}
        )
        assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
        (call,) = sts_calls(rec, "GetSessionToken")
        assert rec.signing_keys()[call] == key_id and rec.signed_with(call, secret)


def test_rotate_keys_in_the_keyring(keyring: SecretService, work: IamUser, moto_server: str, isolated: Path) -> None:
    add_from_stdin(work)
    assert runner(work)("login", "--profile", PROFILE, "--token-code", CODE).code == 0  # an MFA session is cached
    cache = isolated / ".cache" / "mfaenv" / "sessions"
    assert len(list(cache.glob("[0-9a-f]*-[0-9a-f]*.json"))) == 1
    r = runner(work)("rotate", PROFILE)  # the cached session signs the IAM calls: no code needed
    assert r.code == 0 and r.out == "", r
    new_id, new_secret = stored_key(isolated, keyring)
    assert new_id != work.key_id and new_secret and new_secret != work.secret
    assert iam_keys(moto_server, work.name) == [new_id]
    assert stored(keyring, work.key_id) is None  # the old secret left the keyring
    assert "mfaenv_keyring_retired" not in marker(isolated)
    assert list(cache.glob("[0-9a-f]*-[0-9a-f]*.json")) == []  # the old key's session is not reused
    login_signs_with(work, moto_server, new_id, new_secret, "224466")
    assert files_holding(isolated, new_secret) == []


def test_rotate_keys_in_the_credentials_file(work: IamUser, moto_server: str, isolated: Path) -> None:
    creds = isolated / ".aws" / "credentials"
    before = (
        f"# keys\n[{PROFILE}]\naws_access_key_id = {work.key_id}\naws_secret_access_key = {work.secret}\n\n[x]\nk = v\n"
    )
    creds.write_text(before)
    creds.chmod(0o600)
    r = runner(work)("rotate", "--profile", PROFILE, "--token-code", CODE)
    assert r.code == 0, r
    (new_id,) = iam_keys(moto_server, work.name)
    import configparser

    parser = configparser.RawConfigParser()
    parser.read(creds)
    new_secret = parser.get(PROFILE, "aws_secret_access_key")
    assert new_id != work.key_id
    assert creds.read_text() == before.replace(work.key_id, new_id).replace(work.secret, new_secret)
    login_signs_with(work, moto_server, new_id, new_secret, "224466")


def test_rotate_with_two_keys_names_the_one_to_delete(keyring: SecretService, work: IamUser, moto_server: str) -> None:
    add_from_stdin(work)
    other = admin_iam(moto_server).create_access_key(UserName=work.name)["AccessKey"]["AccessKeyId"]
    line = runner(work).fails("rotate", PROFILE, "--token-code", CODE, code=2)
    assert f"delete {other} first" in line and work.key_id in line
    assert sorted(iam_keys(moto_server, work.name)) == sorted([work.key_id, other])


UNKNOWN_KEY = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message>"
    b"</Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)


def test_rotate_waits_while_iam_propagates_the_new_key(
    keyring: SecretService, work: IamUser, moto_server: str, isolated: Path
) -> None:
    """STS does not know a new key for a few seconds: rotate retries, and switches only once it works."""
    add_from_stdin(work)
    refused: list[str] = []

    def hook(rec: Recorder, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | None:
        signer = re.search(r"Credential=(\w+)/", headers.get("authorization", ""))
        if b"Action=GetCallerIdentity" in body and signer and signer.group(1) != work.key_id and len(refused) < 2:
            refused.append(signer.group(1))
            return (403, UNKNOWN_KEY)
        return None

    with Recorder(moto_server, hook).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url, "AWS_ENDPOINT_URL_IAM": rec.url}
        r = runner(work)("rotate", PROFILE, "--token-code", CODE, env=env)
        assert r.code == 0, r
    new_id, _ = stored_key(isolated, keyring)
    assert refused == [new_id, new_id] and iam_keys(moto_server, work.name) == [new_id]
    # A key that never starts working: the profile stays on the old one, and says so.
    current = new_id

    def never(rec: Recorder, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | None:
        signer = re.search(r"Credential=(\w+)/", headers.get("authorization", ""))
        if b"Action=GetCallerIdentity" in body and signer and signer.group(1) != current:
            return (403, UNKNOWN_KEY)
        return None

    with Recorder(moto_server, never).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url, "AWS_ENDPOINT_URL_IAM": rec.url, "MFAENV_ROTATE_WAIT": "2"}
        line = runner(work).fails("rotate", PROFILE, "--token-code", "192837", code=5, env=env)
    assert "does not accept the new key" in line and f"still uses {current}" in line
    assert stored_key(isolated, keyring)[0] == current and len(iam_keys(moto_server, work.name)) == 2


KILL_POINTS = [
    ("ListAccessKeys", "before", False),
    ("CreateAccessKey", "before", False),
    ("CreateAccessKey", "after", False),  # IAM made the key; mfaenv never saw it
    ("GetCallerIdentity", "before", True),  # the new key is stored, being checked
    ("DeleteAccessKey", "before", False),  # the profile uses the new key; the old one still exists
    ("DeleteAccessKey", "after", False),  # IAM deleted the old key; the keyring still has it
]


def file_key(isolated: Path) -> tuple[str, str | None, dict[str, str]]:
    import configparser

    parser = configparser.RawConfigParser()
    parser.read(isolated / ".aws" / "credentials")
    values = dict(parser.items(PROFILE))
    return values["aws_access_key_id"], values.get("aws_secret_access_key"), values


@pytest.mark.parametrize("store", ["keyring", "credentials-file"])
@pytest.mark.parametrize(("action", "when", "new_key"), KILL_POINTS, ids=[f"{a}-{w}" for a, w, _ in KILL_POINTS])
def test_rotate_killed_at_each_step_leaves_a_working_stored_key(
    keyring: SecretService,
    work: IamUser,
    moto_server: str,
    isolated: Path,
    action: str,
    when: str,
    new_key: bool,
    store: str,
) -> None:
    def current() -> tuple[str, str | None]:
        return stored_key(isolated, keyring) if store == "keyring" else file_key(isolated)[:2]

    if store == "keyring":
        add_from_stdin(work)
    else:
        creds = isolated / ".aws" / "credentials"
        creds.write_text(f"[{PROFILE}]\naws_access_key_id = {work.key_id}\naws_secret_access_key = {work.secret}\n")
        creds.chmod(0o600)
    assert runner(work)("login", "--profile", PROFILE, "--token-code", CODE).code == 0
    procs: list[subprocess.Popen[bytes]] = []

    def hook(rec: Recorder, headers: dict[str, str], body: bytes) -> str | None:
        signer = re.search(r"Credential=(\w+)/", headers.get("authorization", ""))
        if f"Action={action}".encode() not in body or (new_key and signer and signer.group(1) == work.key_id):
            return None
        return "drop" if when == "before" else "forward-then-drop"

    def kill() -> None:  # the connection is held open: mfaenv is waiting on this very call
        os.killpg(procs[0].pid, signal.SIGKILL)

    with Recorder(moto_server, hook, on_drop=kill).running() as rec:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": rec.url, "AWS_ENDPOINT_URL_IAM": rec.url}
        procs.append(
            subprocess.Popen(
                # A code of its own: the cached session is one of another endpoint (the recorder's port).
                [*MFAENV, "rotate", PROFILE, "--token-code", "314159"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        )
        _, err = procs[0].communicate(timeout=120)
        assert procs[0].returncode == -signal.SIGKILL, (procs[0].returncode, err)
    # Whatever step it died at, the stored key works, and IAM still has it.
    key_id, secret = current()
    assert secret and key_id in iam_keys(moto_server, work.name)
    login_signs_with(work, moto_server, key_id, secret, "135790")
    # The next rotate finishes the job (or names the key IAM made but nobody stored).
    r = runner(work)("rotate", PROFILE, "--token-code", "271828")
    if (action, when) == ("CreateAccessKey", "after"):
        (orphan,) = set(iam_keys(moto_server, work.name)) - {key_id}
        assert r.code == 2 and f"delete {orphan} first" in r.err, r
        admin_iam(moto_server).delete_access_key(UserName=work.name, AccessKeyId=orphan)
        r = runner(work)("rotate", PROFILE, "--token-code", "161803")
    assert r.code == 0, r
    final_id, final_secret = current()
    assert iam_keys(moto_server, work.name) == [final_id] and final_secret
    assert "mfaenv_keyring_retired" not in marker(isolated)
    if store == "credentials-file":  # nothing of the rotation is left in the section
        assert set(file_key(isolated)[2]) == {"aws_access_key_id", "aws_secret_access_key"}
    login_signs_with(work, moto_server, final_id, final_secret, "246802")


# -- the encrypted key file --------------------------------------------------------------------------

PASSPHRASE = "correct horse battery staple"


def test_encrypted_file_add_and_login_on_the_terminal(
    work: IamUser, moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mfaenv", "add", PROFILE, "--keyring", "file", "--no-credential-process"],
        encoding="utf-8",
        timeout=60,
    )
    for prompt, answer in (
        ("access key id", work.key_id),
        ("secret access key", work.secret),
        ("New passphrase", PASSPHRASE),
        ("Same passphrase again", PASSPHRASE),
    ):
        child.expect(prompt)
        child.send(answer + "\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert work.secret not in child.before and PASSPHRASE not in child.before
    keyfile = isolated / ".local" / "share" / "mfaenv" / "keys.json"
    assert keyfile.stat().st_mode & 0o777 == 0o600
    assert marker(isolated)["mfaenv_keyring_backend"] == "file"
    assert files_holding(isolated, work.secret) == []
    assert keyfile not in files_holding(isolated, work.key_id)  # it does not even show which keys it holds

    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        script = f'eval "$({" ".join(MFAENV)} login --profile {PROFILE})" && echo "token=${{AWS_SESSION_TOKEN:+set}}"'
        child = pexpect.spawn("bash", ["--norc", "-c", script], encoding="utf-8", timeout=60)
        child.expect("Passphrase for the mfaenv key file")  # before the code, which would expire meanwhile
        child.send("wrong passphrase\r")
        child.expect("wrong passphrase, try again")
        child.expect("Passphrase for the mfaenv key file")
        child.send(PASSPHRASE + "\r")
        child.expect("MFA code for")
        child.send(CODE + "\r")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0 and "token=set" in child.before, child.before
        (call,) = sts_calls(rec, "GetSessionToken")
        assert rec.signed_with(call, work.secret)
    # A cached login needs no passphrase, and no terminal.
    r = runner(work)("login", "--profile", PROFILE)
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r


def test_encrypted_file_passphrase_variable_is_an_explicit_opt_in(work: IamUser, isolated: Path) -> None:
    run = runner(work)
    keys = f"{work.key_id}\n{work.secret}\n".encode()
    line = run.fails("add", PROFILE, "--keyring", "file", code=2, input=keys)
    assert "no terminal to ask the passphrase" in line and "MFAENV_KEYFILE_PASSPHRASE" in line
    r = run("add", PROFILE, "--keyring", "file", input=keys, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE})
    assert r.code == 0, r
    line = run.fails(
        "login", "--profile", PROFILE, "--token-code", CODE, code=3, env={"MFAENV_KEYFILE_PASSPHRASE": "nope"}
    )
    assert "wrong passphrase from MFAENV_KEYFILE_PASSPHRASE" in line
    r = run("login", "--profile", PROFILE, "--token-code", CODE, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE})
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
    assert files_holding(isolated, work.secret) == []
    keyfile = isolated / ".local" / "share" / "mfaenv" / "keys.json"
    keyfile.chmod(0o644)
    line = run.fails(
        "login",
        "--profile",
        PROFILE,
        "--fresh",
        "--token-code",
        "102938",
        code=2,
        env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE},
    )
    assert "readable by you only" in line


# -- pass -------------------------------------------------------------------------------------------


@pytest.fixture
def password_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A pass store of its own, encrypted to a fresh gpg key without a passphrase."""
    import shutil

    if not (shutil.which("pass") and shutil.which("gpg")):
        if os.environ.get("CI"):
            pytest.fail("pass or gpg is missing (scripts/setup.sh installs them)")
        pytest.skip("pass is not installed")
    gnupg, store = tmp_path / "gnupg", tmp_path / "password-store"
    gnupg.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(gnupg))
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(store))
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "mfaenv test <test@example.invalid>",
            "default",
            "default",
            "never",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(["pass", "init", "test@example.invalid"], check=True, capture_output=True, timeout=60)
    yield store
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], capture_output=True, timeout=60, check=False)


def test_pass_store_add_login_remove(
    password_store: Path, work: IamUser, moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_from_stdin(work, "--keyring", "pass")
    item = password_store / "mfaenv" / PROFILE / f"{work.key_id}.gpg"
    assert item.exists() and work.secret.encode() not in item.read_bytes()
    assert files_holding(isolated, work.secret) == [] and files_holding(password_store, work.secret) == []
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        r = runner(work)("login", "--profile", PROFILE, "--token-code", CODE)
        assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
        (call,) = sts_calls(rec, "GetSessionToken")
        assert rec.signed_with(call, work.secret)
    assert runner(work)("remove", PROFILE, "--yes").code == 0
    assert not item.exists()
