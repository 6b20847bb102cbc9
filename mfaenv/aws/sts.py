"""The AWS calls: GetSessionToken, and the MFA device lookup. I/O edge.

botocore (boto3's engine) is imported here and in mfaenv.aws.transport only, and
only when a call is made: it costs a third of a second, which fast paths must
not pay. Every answer is checked against its documented shape (mfaenv.aws.shapes)
before anything else sees it. boto3's
resource layer adds nothing for two plain calls, so the client comes straight
from botocore.
"""

from __future__ import annotations

import datetime as dt
import os

from mfaenv.aws import shapes
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    from mfaenv.store.config import SourceProfile

    T = TypeVar("T")

# Bounded time on a dead or slow endpoint: 3 attempts (standard retry mode,
# which retries throttling, 5xx and transport errors with jittered backoff of
# at most a few seconds), each connecting within 3 s and answering within 10 s.
# STS answers in well under a second, so a refused port fails at once, a
# silent one within about 15 s, and one that accepts but never answers within
# about 40 s. Those timeouts bound each socket operation, so a deadline bounds
# the whole call as well: by default what the timeouts allow, 3 x (3 + 10) s,
# plus 5 s for backoff. MFAENV_CONNECT_TIMEOUT, MFAENV_READ_TIMEOUT,
# MFAENV_MAX_ATTEMPTS and MFAENV_DEADLINE change them.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
MAX_ATTEMPTS = 3
BACKOFF_ALLOWANCE = 5


def _service(client: Any) -> str:
    return "IAM" if client.meta.service_model.service_name == "iam" else "STS"


def _not_an_answer(client: Any) -> str:
    return f"{client.meta.endpoint_url} answered with something that is not an {_service(client)} response"


def _setting(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    value = (os.environ if env is None else env).get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise MfaenvError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def deadline(env: Mapping[str, str] | None = None) -> int:
    """Seconds one call may take in all, retries included: MFAENV_DEADLINE, else what the timeouts allow."""
    attempts = _setting("MFAENV_MAX_ATTEMPTS", MAX_ATTEMPTS, env)
    per_attempt = _setting("MFAENV_CONNECT_TIMEOUT", CONNECT_TIMEOUT, env) + _setting(
        "MFAENV_READ_TIMEOUT", READ_TIMEOUT, env
    )
    return _setting("MFAENV_DEADLINE", attempts * per_attempt + BACKOFF_ALLOWANCE, env)


def _client(profile: SourceProfile, service: str, mfa_session: Session | None = None) -> Any:
    import botocore.config
    from botocore.exceptions import BotoCoreError

    from mfaenv.aws import transport

    # profile= makes botocore take the endpoint settings (AWS_ENDPOINT_URL_STS,
    # a profile's `services`) from the source profile; the explicit keys mean
    # no credential from the environment is ever looked at.
    session = transport.session(profile.name)
    config = botocore.config.Config(
        connect_timeout=_setting("MFAENV_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
        read_timeout=_setting("MFAENV_READ_TIMEOUT", READ_TIMEOUT),
        retries={"mode": "standard", "total_max_attempts": _setting("MFAENV_MAX_ATTEMPTS", MAX_ATTEMPTS)},
        user_agent_appid="mfaenv",
    )
    try:
        client = session.create_client(
            service,
            region_name=profile.region,
            # An MFA session signs the IAM calls of `rotate`; everything else uses the long-term keys.
            aws_access_key_id=mfa_session.access_key_id if mfa_session else profile.access_key_id,
            aws_secret_access_key=mfa_session.secret_access_key if mfa_session else profile.secret_access_key,
            aws_session_token=mfa_session.session_token if mfa_session else None,
            config=config,
        )
    except (BotoCoreError, ValueError) as e:  # its config reading, an endpoint URL it refuses
        raise MfaenvError(f"botocore cannot set up the {service} client: {str(e).splitlines()[0]}") from None
    return transport.bound(client)


def _call(
    client: Any,
    profile: SourceProfile,
    op: str,
    call: Callable[[], T],
    secrets: tuple[str, ...] = (),
    serial: str = "?",
) -> T:
    """call() within the deadline, every failure mapped to one line."""
    from mfaenv.aws import transport

    try:
        return transport.within(deadline(), call)
    except MfaenvError:
        raise
    except Exception as e:  # noqa: BLE001 - every botocore failure is mapped to one line
        raise explain(e, client, profile, op, secrets, serial) from None


def get_session_token(profile: SourceProfile, serial: str, code: str, duration: int, now: dt.datetime) -> Session:
    client = _client(profile, "sts")
    reply = _call(
        client,
        profile,
        "GetSessionToken",
        lambda: client.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=duration),
        (code,),
        serial,
    )
    return session_from_reply(reply, profile.name, now, _not_an_answer(client))


#: GetSessionToken's longest session (129,600 s), plus an hour for clocks that disagree.
LONGEST_SESSION = 129_600 + 3_600


def session_from_reply(reply: dict[str, Any], profile: str, now: dt.datetime, not_an_answer: str) -> Session:
    creds = reply.get("Credentials")
    try:
        if not isinstance(creds, dict):
            raise shapes.BadShape("Credentials", "are missing")
        session = shapes.session(creds, profile)
    except shapes.BadShape as e:
        raise MfaenvError(f"{not_an_answer} ({e}); check the endpoint", Exit.AWS) from None
    if session.expiration <= now:
        raise MfaenvError(
            f"STS returned a session that expired at {session.expiration:%Y-%m-%d %H:%M:%S %Z}; check this machine's clock",
            Exit.AWS,
        )
    if session.expiration > now + dt.timedelta(seconds=LONGEST_SESSION):
        # No STS session lasts longer (GetSessionToken's 36 h); such a one would be cached forever.
        raise MfaenvError(
            f"STS returned a session that ends at {session.expiration:%Y-%m-%d %H:%M:%S %Z}, later than STS "
            "allows; check the endpoint, and this machine's clock",
            Exit.AWS,
        )
    return session


def caller_arn(profile: SourceProfile) -> str:
    client = _client(profile, "sts")
    reply = _call(client, profile, "GetCallerIdentity", client.get_caller_identity)
    try:
        # The ARN is shown to the user and its last part sent to IAM: 20-2048 visible characters (API reference).
        arn = shapes.visible(reply.get("Arn"), "Arn", 2048)
        if len(arn) < 20:
            raise shapes.BadShape("Arn", "is shorter than an ARN")
    except shapes.BadShape as e:
        raise MfaenvError(f"{_not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None
    return arn


def list_mfa_devices(profile: SourceProfile, user: str | None) -> list[str]:
    """The serials of the caller's MFA devices, as IAM lists them (checked by the caller)."""
    # IAM allows 8 MFA devices per user and a page holds 100: one call is
    # enough, and a hostile endpoint cannot keep us paging.
    client = _client(profile, "iam")
    args = {"UserName": user} if user else {}
    reply = _call(client, profile, "ListMFADevices", lambda: client.list_mfa_devices(**args))
    return [str(d.get("SerialNumber") or "") for d in reply.get("MFADevices") or []]


# -- rotate: the user's access keys, IAM calls signed with an MFA session ---------------------

_LONG_TERM_ID = r"AKIA[A-Z0-9]{12,124}\Z"


def _long_term_id(value: object, field: str) -> str:
    import re

    text = shapes.visible(value, field, 128)
    if not re.match(_LONG_TERM_ID, text):
        raise shapes.BadShape(field, "is not a long-term access key id (AKIA...)")
    return text


def list_access_keys(profile: SourceProfile, session: Session, user: str) -> list[str]:
    """The ids of the user's access keys (IAM allows two; one page holds them all)."""
    client = _client(profile, "iam", session)
    reply = _call(client, profile, "ListAccessKeys", lambda: client.list_access_keys(UserName=user))
    try:
        keys = reply.get("AccessKeyMetadata")
        if not isinstance(keys, list) or len(keys) > 10:
            raise shapes.BadShape("AccessKeyMetadata", "is not a short list")
        return [_long_term_id(k.get("AccessKeyId") if isinstance(k, dict) else None, "AccessKeyId") for k in keys]
    except shapes.BadShape as e:
        raise MfaenvError(f"{_not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None


def create_access_key(profile: SourceProfile, session: Session, user: str) -> tuple[str, str]:
    """A new access key of the user: (key id, secret). IAM shows the secret this once."""
    client = _client(profile, "iam", session)
    reply = _call(client, profile, "CreateAccessKey", lambda: client.create_access_key(UserName=user))
    try:
        key = reply.get("AccessKey")
        if not isinstance(key, dict):
            raise shapes.BadShape("AccessKey", "is missing")
        return _long_term_id(key.get("AccessKeyId"), "AccessKeyId"), shapes.visible(
            key.get("SecretAccessKey"), "SecretAccessKey", 128
        )
    except shapes.BadShape as e:
        raise MfaenvError(
            f"{_not_an_answer(client)} ({e}); the key may exist in IAM: check the user's keys", Exit.AWS
        ) from None


def delete_access_key(profile: SourceProfile, session: Session, user: str, key_id: str) -> None:
    from botocore.exceptions import ClientError

    client = _client(profile, "iam", session)

    def delete() -> None:
        try:
            client.delete_access_key(UserName=user, AccessKeyId=key_id)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchEntity":  # already gone: what we wanted
                raise

    _call(client, profile, "DeleteAccessKey", delete)


def key_works(profile: SourceProfile) -> str | None:
    """GetCallerIdentity signed with the profile's long-term key: the ARN, or None while AWS does not know the key yet.

    A new IAM key takes a few seconds to reach STS everywhere (IAM is eventually
    consistent); until then STS answers InvalidClientTokenId.
    """
    from botocore.exceptions import ClientError

    class _NotYet(Exception):
        pass

    client = _client(profile, "sts")

    def ask() -> Any:
        try:
            return client.get_caller_identity()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
                raise _NotYet from None
            raise

    try:
        reply = _call(client, profile, "GetCallerIdentity", ask)
    except _NotYet:
        return None
    try:
        return shapes.visible(reply.get("Arn"), "Arn", 2048)
    except shapes.BadShape as e:
        raise MfaenvError(f"{_not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None


def explain(
    e: Exception, client: Any, profile: SourceProfile, op: str, secrets: tuple[str, ...] = (), serial: str = "?"
) -> Exception:
    """One line that says what failed and what to do; never a secret."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    from mfaenv.aws import transport

    endpoint = client.meta.endpoint_url
    who = f"profile {profile.name!r} (key {profile.key_hint()})"
    if isinstance(e, transport.DeadlinePassed):
        return MfaenvError(
            f"{_service(client)} at {endpoint} did not finish answering within {deadline()} s; check the network and try again",
            Exit.NETWORK,
        )
    if isinstance(e, transport.AnswerTooLarge):
        return MfaenvError(
            f"{endpoint} sent more than {transport.MAX_ANSWER >> 20} MiB, which is not an {_service(client)} response; "
            "check the endpoint",
            Exit.AWS,
        )
    if isinstance(e, bx.ClientError):
        err = e.response.get("Error", {})
        # The endpoint's words go into our one line: no line breaks or terminal controls, and not a page of them.
        code, msg = _printable(str(err.get("Code", "")), 64), _printable(str(err.get("Message", "")), 300)
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
        return MfaenvError(f"{_not_an_answer(client)}; check the endpoint", Exit.AWS)
    if isinstance(e, bx.NoRegionError):
        return MfaenvError("no AWS region is set; set AWS_REGION or the profile's region", Exit.INPUT)
    if isinstance(e, bx.BotoCoreError):
        return MfaenvError(f"{op} at {endpoint} failed: {type(e).__name__}", Exit.AWS)
    return e


def _printable(text: str, limit: int) -> str:
    """`text` with every control character (C0, DEL, C1) and line or paragraph separator made a space, cut at `limit`."""
    clean = "".join(" " if c < " " or "\x7f" <= c <= "\x9f" or c in "\u2028\u2029" else c for c in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def redact(text: str, secrets: tuple[str, ...]) -> str:
    # AWS validation messages quote the offending value, which may be the MFA code.
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
