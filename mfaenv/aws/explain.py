"""AWS errors mapped to one line each (../shared/DESIGN.md "STS errors worth a clear line"). Pure.

Nothing of what the endpoint sent reaches the user unchecked: codes and
messages are cut to printable text, and any secret we sent is redacted.
"""

from __future__ import annotations

from mfaenv.aws import limits
from mfaenv.aws.limits import deadline, not_an_answer, service
from mfaenv.errors import CodeMaybeSpent, CodeRejected, Exit, MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.store.config import SourceProfile


def explain(
    e: Exception, client: Any, profile: SourceProfile, op: str, secrets: tuple[str, ...] = (), serial: str = "?"
) -> Exception:
    """One line that says what failed and what to do; never a secret.

    `secrets` are what the request carried that no message may show; an MFA code among them
    means the request went out once (client.make_client's `once`), and a lost answer may have spent it.
    """
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    from mfaenv.aws import transport

    endpoint = client.meta.endpoint_url
    who = f"profile {profile.name!r} (key {profile.key_hint()})"
    # Sent, then no answer: a timeout or a broken connection after the connection was made
    # (botocore's ConnectionError family means the request never left).
    lost = isinstance(e, (limits.DeadlinePassed, bx.HTTPClientError))
    if lost and any(secrets):
        how = (
            f"did not finish answering within {deadline()} s"
            if isinstance(e, limits.DeadlinePassed)
            else "did not answer in time"
            if isinstance(e, bx.ReadTimeoutError)
            else "broke the connection before answering"
        )
        return CodeMaybeSpent(
            f"{service(client)} at {endpoint} {how} after the request with the MFA code was sent; "
            "the code may have been used: wait for the next one, and check the network",
            Exit.NETWORK,
        )
    if isinstance(e, limits.DeadlinePassed):
        return MfaenvError(
            f"{service(client)} at {endpoint} did not finish answering within {deadline()} s; check the network and try again",
            Exit.NETWORK,
        )
    if isinstance(e, transport.AnswerTooLarge):
        return MfaenvError(
            f"{endpoint} sent more than {transport.MAX_ANSWER >> 20} MiB, which is not an {service(client)} response; "
            "check the endpoint",
            Exit.AWS,
        )
    if isinstance(e, bx.ClientError):
        err = e.response.get("Error", {})
        # The endpoint's words go into our one line: no line breaks or terminal controls, and not a page of them.
        code, msg = printable(str(err.get("Code", "")), 64), printable(str(err.get("Message", "")), 300)
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
            return CodeRejected(
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
        return MfaenvError(f"{not_an_answer(client)}; check the endpoint", Exit.AWS)
    if isinstance(e, bx.NoRegionError):
        return MfaenvError("no AWS region is set; set AWS_REGION or the profile's region", Exit.INPUT)
    if isinstance(e, bx.BotoCoreError):
        return MfaenvError(f"{op} at {endpoint} failed: {type(e).__name__}", Exit.AWS)
    return e


def printable(text: str, limit: int) -> str:
    """`text` with every control character (C0, DEL, C1) and line or paragraph separator made a space, cut at `limit`."""
    clean = "".join(" " if c < " " or "\x7f" <= c <= "\x9f" or c in "\u2028\u2029" else c for c in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def redact(text: str, secrets: tuple[str, ...]) -> str:
    # AWS validation messages quote the offending value, which may be the MFA code.
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
