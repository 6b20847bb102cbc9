"""STS refusing, or answering badly: one line, the class's exit code, empty stdout."""

from __future__ import annotations

import time

import pytest

from tests.conftest import CODE, IamUser
from tests.faultsts import FaultSts
from tests.helpers import Mfaenv

AUTH, NETWORK, AWS = 3, 4, 5


@pytest.mark.parametrize(
    ("answer", "code", "fragment"),
    [
        ("bad-code", AUTH, "STS rejected the MFA code: it is wrong, or was already used"),
        ("wrong-serial", AUTH, "could not validate the code against MFA device arn:aws:iam::123456789012:mfa/"),
        ("reused-code", AUTH, "STS rejected the MFA code: it is wrong, or was already used"),
        # The request carried the code: once it may have reached STS, the code may be spent (issue 20).
        ("slow", NETWORK, "did not answer in time after the request with the MFA code was sent; the code may"),
        ("reset-mid-body", NETWORK, "broke the connection before answering after the request with the MFA code"),
        ("close-without-answer", NETWORK, "the code may have been used: wait for the next one"),
        ("session-creds", AUTH, "holds session credentials, and GetSessionToken needs long-term keys"),
        ("unknown-key", AUTH, "AWS does not know the access key of profile 'default'"),
        ("bad-signature", AUTH, "the secret key does not match the key id, or this machine's clock is off"),
        ("expired-token", AUTH, "are temporary and have expired"),
        ("denied", AUTH, "AWS denied GetSessionToken to profile 'default'"),
        ("throttled", AWS, "is throttling requests; wait a minute"),
        ("500", AWS, "failed (InternalFailure); try again in a minute"),
        ("503", AWS, "failed (ServiceUnavailable); try again in a minute"),
        ("garbage", AWS, "answered with something that is not an STS response"),
        ("truncated", AWS, "answered with something that is not an STS response"),
        ("expired-session", AWS, "STS returned a session that expired at 2001-01-01"),
    ],
)
def test_sts_fault(user: IamUser, mfaenv: Mfaenv, answer: str, code: int, fragment: str) -> None:
    with FaultSts(answer).running() as sts:
        started = time.monotonic()
        env = {"AWS_ENDPOINT_URL_STS": sts.url, "MFAENV_READ_TIMEOUT": "1"}
        line = mfaenv.fails("login", "--token-code", CODE, code=code, env=env)
        elapsed = time.monotonic() - started
    assert fragment in line
    # --debug adds a traceback, and still no secret: not the planted session key, the code, or the profile's key.
    audit = Mfaenv(secrets=(*mfaenv.secrets, "faultsecret/KEY+EXAMPLE", "FwoGZXIvYXdzEFAULTTOKEN"))
    with FaultSts(answer).running() as sts:
        debug = audit("--debug", "login", "--token-code", "975310", env={**env, "AWS_ENDPOINT_URL_STS": sts.url})
    assert debug.code == code and debug.out == "" and fragment in debug.err
    assert sts.hits >= 1
    assert elapsed < 60  # a generous bound, not a benchmark: retries are capped


def test_key_hint_not_key(user: IamUser, mfaenv: Mfaenv) -> None:
    with FaultSts("unknown-key").running() as sts:
        line = mfaenv.fails("login", "--token-code", CODE, code=AUTH, env={"AWS_ENDPOINT_URL_STS": sts.url})
    assert f"{user.key_id[:4]}...{user.key_id[-4:]}" in line and user.key_id not in line
