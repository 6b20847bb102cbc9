"""The AWS calls: GetSessionToken, and the MFA device lookup. I/O edge.

botocore (boto3's engine) is imported here and only here, and only when a call
is made: it costs a third of a second, which fast paths must not pay. boto3's
resource layer adds nothing for two plain calls, so the client comes straight
from botocore.
"""

from __future__ import annotations

import datetime as dt
import os

from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.config import SourceProfile

# Bounded time on a dead or slow endpoint: 3 attempts (standard retry mode,
# which retries throttling, 5xx and transport errors with jittered backoff of
# at most a few seconds), each connecting within 3 s and answering within 10 s.
# STS answers in well under a second, so a refused port fails at once, a
# silent one within about 15 s, and one that accepts but never answers within
# about 40 s. MFAENV_CONNECT_TIMEOUT, MFAENV_READ_TIMEOUT, MFAENV_MAX_ATTEMPTS change them.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
MAX_ATTEMPTS = 3


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise MfaenvError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _client(profile: SourceProfile, service: str) -> Any:
    import botocore.config
    import botocore.session

    # profile= makes botocore take the endpoint settings (AWS_ENDPOINT_URL_STS,
    # a profile's `services`) from the source profile; the explicit keys mean
    # no credential from the environment is ever looked at.
    from botocore.exceptions import BotoCoreError

    session = botocore.session.Session(profile=profile.name)
    config = botocore.config.Config(
        connect_timeout=_setting("MFAENV_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
        read_timeout=_setting("MFAENV_READ_TIMEOUT", READ_TIMEOUT),
        retries={"mode": "standard", "total_max_attempts": _setting("MFAENV_MAX_ATTEMPTS", MAX_ATTEMPTS)},
        user_agent_appid="mfaenv",
    )
    try:
        return session.create_client(
            service,
            region_name=profile.region,
            aws_access_key_id=profile.access_key_id,
            aws_secret_access_key=profile.secret_access_key,
            aws_session_token=None,
            config=config,
        )
    except (BotoCoreError, ValueError) as e:  # its config reading, an endpoint URL it refuses
        raise MfaenvError(f"botocore cannot set up the {service} client: {str(e).splitlines()[0]}") from None


def get_session_token(profile: SourceProfile, serial: str, code: str, duration: int, now: dt.datetime) -> Session:
    client = _client(profile, "sts")
    try:
        reply = client.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=duration)
    except Exception as e:  # noqa: BLE001 - every botocore failure is mapped to one line
        raise explain(e, client, profile, "GetSessionToken", (code,), serial) from None
    return session_from_reply(reply, profile.name, now, client.meta.endpoint_url)


def session_from_reply(reply: dict[str, Any], profile: str, now: dt.datetime, endpoint: str) -> Session:
    creds = reply.get("Credentials") or {}
    key, secret, token, exp = (creds.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"))
    if not all(isinstance(v, str) and v for v in (key, secret, token)) or not isinstance(exp, dt.datetime):
        raise MfaenvError(f"STS at {endpoint} answered without complete credentials; try again", Exit.AWS)
    if exp.tzinfo is None:
        exp = exp.replace(tzinfo=dt.timezone.utc)
    if exp <= now:
        raise MfaenvError(
            f"STS returned a session that expired at {exp:%Y-%m-%d %H:%M:%S %Z}; check this machine's clock", Exit.AWS
        )
    return Session(key, secret, token, exp, profile)


def caller_arn(profile: SourceProfile) -> str:
    client = _client(profile, "sts")
    try:
        return str(client.get_caller_identity()["Arn"])
    except Exception as e:  # noqa: BLE001
        raise explain(e, client, profile, "GetCallerIdentity") from None


def list_mfa_devices(profile: SourceProfile, user: str | None) -> list[str]:
    client = _client(profile, "iam")
    try:
        pages = client.get_paginator("list_mfa_devices").paginate(**({"UserName": user} if user else {}))
        return [d["SerialNumber"] for page in pages for d in page.get("MFADevices", [])]
    except Exception as e:  # noqa: BLE001
        raise explain(e, client, profile, "ListMFADevices") from None


def explain(
    e: Exception, client: Any, profile: SourceProfile, op: str, secrets: tuple[str, ...] = (), serial: str = "?"
) -> Exception:
    """One line that says what failed and what to do; never a secret."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    endpoint = client.meta.endpoint_url
    who = f"profile {profile.name!r} (key {profile.key_hint()})"
    if isinstance(e, bx.ClientError):
        err = e.response.get("Error", {})
        code, msg = str(err.get("Code", "")), str(err.get("Message", ""))
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        msg = redact(msg, secrets)
        if "unable to validate MFA code" in msg or "verify your MFA serial" in msg:
            # STS's answer to a serial that is not this user's device, which users
            # otherwise read as a bad code and keep retrying.
            return MfaenvError(
                f"STS could not validate the code against MFA device {serial}: the serial is not a device of "
                f"{who}; check --serial-number, MFAENV_MFA_SERIAL or mfa_serial",
                Exit.AUTH,
            )
        if "MultiFactorAuthentication failed" in msg or "invalid MFA one time pass code" in msg:
            return MfaenvError(
                "STS rejected the MFA code: it is wrong, or was already used (AWS accepts each code once); "
                "wait for the next code and try again",
                Exit.AUTH,
            )
        if "with session credentials" in msg:
            return MfaenvError(
                f"{who} holds session credentials, and GetSessionToken needs long-term keys; "
                "put the IAM user's AKIA... keys in that profile",
                Exit.AUTH,
            )
        if code == "InvalidClientTokenId":
            return MfaenvError(
                f"AWS does not know the access key of {who}: it was deleted, deactivated or rotated; update the credentials file",
                Exit.AUTH,
            )
        if code == "SignatureDoesNotMatch":
            return MfaenvError(
                f"AWS rejected the signature of {who}: the secret key does not match the key id, or this machine's clock is off",
                Exit.AUTH,
            )
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            return MfaenvError(
                f"the credentials of {who} are temporary and have expired, or this machine's clock is off; "
                "use the IAM user's long-term keys",
                Exit.AUTH,
            )
        if code in ("ValidationError", "InvalidParameterValue", "MissingParameter"):
            return MfaenvError(f"STS refused a parameter of {op}: {msg}", Exit.INPUT)
        if code in ("Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"):
            return MfaenvError(f"STS at {endpoint} is throttling requests; wait a minute and try again", Exit.AWS)
        if status >= 500 or code in ("InternalFailure", "ServiceUnavailable", "InternalError"):
            return MfaenvError(f"STS at {endpoint} failed ({code or status}); try again in a minute", Exit.AWS)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return MfaenvError(f"AWS denied {op} to {who}: {msg or code}", Exit.AUTH)
        return MfaenvError(f"{op} failed at {endpoint}: {code} {msg}".strip(), Exit.AWS)
    if isinstance(e, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return MfaenvError(f"STS at {endpoint} did not answer in time; check the network and try again", Exit.NETWORK)
    if isinstance(e, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ProxyConnectionError)):
        return MfaenvError(
            f"cannot reach {endpoint}: the connection failed; check the network, proxy and endpoint settings",
            Exit.NETWORK,
        )
    if isinstance(e, bx.HTTPClientError):
        return MfaenvError(f"the connection to {endpoint} broke; check the network and try again", Exit.NETWORK)
    if isinstance(e, ResponseParserError):  # its text holds the raw body: never show it
        return MfaenvError(
            f"{endpoint} answered with something that is not an STS response; check the endpoint", Exit.AWS
        )
    if isinstance(e, bx.NoRegionError):
        return MfaenvError("no AWS region is set; set AWS_REGION or the profile's region", Exit.INPUT)
    if isinstance(e, bx.BotoCoreError):
        return MfaenvError(f"{op} at {endpoint} failed: {type(e).__name__}", Exit.AWS)
    return e


def redact(text: str, secrets: tuple[str, ...]) -> str:
    # AWS validation messages quote the offending value, which may be the MFA code.
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
