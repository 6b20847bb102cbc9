"""Fixtures: an isolated home, moto's STS server on loopback, an IAM user with an MFA device.

Every test runs with HOME and the AWS files in a temp folder, the instance
metadata service disabled and the proxies pointed at a closed loopback port,
so a call that misses the emulator fails instead of reaching AWS.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import Mfaenv, free_port
from tests.secretservice import SecretService

#: Our values for the moto server's fixed session: known, so tests can look for leaks.
MOTO_SESSION_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
#: The MFA code the tests type: no substring of the account id or ARNs, so a leak is visible.
CODE = "918273"


@pytest.fixture(scope="session")
def closed_port() -> int:
    return free_port()  # nothing listens there: a proxy that refuses


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's real HTTP server in its own process, on 127.0.0.1 and a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_PROXY": "*"},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"moto server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closed_port: int) -> Path:
    """A clean environment for this process and every child it starts; ~/.aws is in a temp HOME."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    for name in list(os.environ):
        if name.startswith(("AWS_", "MFAENV_")) or name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.delenv(name)
    proxy = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, proxy)
    # No test reaches a real keyring: only the private Secret Service of the `keyring` fixture.
    for var in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND", "PASSWORD_STORE_DIR", "GNUPGHOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("MFAENV_SHELL", "bash")  # tests that detect unset it
    # The hooks call `mfaenv` by name: the console script beside this Python.
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    return home


@dataclasses.dataclass(frozen=True)
class IamUser:
    name: str
    arn: str
    key_id: str
    secret: str = dataclasses.field(repr=False)
    serial: str


def make_user(endpoint: str, devices: int = 1) -> IamUser:
    """A real IAM user in the emulator, with an access key and `devices` MFA devices."""
    import boto3

    admin = boto3.Session(aws_access_key_id="AKIAADMINEXAMPLE0001", aws_secret_access_key="x", region_name="us-east-1")
    iam = admin.client("iam", endpoint_url=endpoint)
    name = f"u{uuid.uuid4().hex[:10]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    serials = []
    for i in range(devices):
        dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-{i}")["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=dev["SerialNumber"], AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
        serials.append(dev["SerialNumber"])
    return IamUser(name, arn, key["AccessKeyId"], key["SecretAccessKey"], serials[0] if serials else "")


def install_profile(home: Path, u: IamUser, name: str = "default") -> None:
    """`u`'s long-term keys as profile `name` in ~/.aws/credentials (0600), its region and serial in ~/.aws/config."""
    creds = home / ".aws" / "credentials"
    creds.write_text(f"[{name}]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n")
    creds.chmod(0o600)
    section = "default" if name == "default" else f"profile {name}"
    (home / ".aws" / "config").write_text(f"[{section}]\nregion = eu-west-1\nmfa_serial = {u.serial}\n")


@pytest.fixture
def user(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """An IAM user whose long-term keys are profile `default` in ~/.aws/credentials."""
    u = make_user(moto_server)
    install_profile(isolated, u)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    return u


@pytest.fixture
def mfaenv(user: IamUser) -> Mfaenv:
    """Runs the real CLI in a child process; fails the test if a secret reaches stderr."""
    return Mfaenv(secrets=(user.secret, MOTO_SESSION_SECRET, CODE))


@pytest.fixture
def cli() -> Mfaenv:
    """The CLI without an AWS account behind it (export, logout, bad input)."""
    return Mfaenv(secrets=(MOTO_SESSION_SECRET, CODE))


@pytest.fixture(scope="session")
def secret_service_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    """One unlocked gnome-keyring on a private D-Bus for the whole run (started on first use)."""
    if not SecretService.available():
        if os.environ.get("CI"):
            pytest.fail("gnome-keyring-daemon or dbus-daemon is missing (scripts/setup.sh installs them)")
        pytest.skip("gnome-keyring-daemon or dbus-daemon is not installed")
    service = SecretService(tmp_path_factory.mktemp("secret-service")).start()
    yield service
    service.stop()


@pytest.fixture
def keyring(secret_service_daemon: SecretService, monkeypatch: pytest.MonkeyPatch) -> SecretService:
    """This test and its children talk to the private, unlocked Secret Service."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_daemon.address)
    return secret_service_daemon


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.realshells import TRIED

    if TRIED:
        counts = ", ".join(f"{shell} {n}" for shell, n in sorted(TRIED.items()))
        terminalreporter.write_line(
            f"generated values round-tripped per shell (0 mismatches, 0 executed payloads): {counts}"
        )
