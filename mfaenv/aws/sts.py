"""STS: GetSessionToken and GetCallerIdentity, their answers checked. I/O edge.

Every answer is checked against its documented shape (mfaenv.aws.shapes)
before anything else sees it.
"""

from __future__ import annotations

import datetime as dt

from mfaenv.aws import shapes
from mfaenv.aws.client import call, make_client
from mfaenv.aws.limits import not_an_answer
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from mfaenv.store.roles import span

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.store.config import SourceProfile


def get_session_token(profile: SourceProfile, serial: str, code: str, duration: int, now: dt.datetime) -> Session:
    client = make_client(profile, "sts", once=True)  # it carries the code: never resent
    reply = call(
        client,
        profile,
        "GetSessionToken",
        lambda: client.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=duration),
        (code,),
        serial,
    )
    return session_from_reply(reply, profile.name, now, not_an_answer(client), duration)


#: How much later than now + the asked duration an answer may end: twice the 5 minutes STS lets
#: a signer's clock differ from its own (it refuses a request signed further off: "Signature
#: expired ... - 5 min."), so an answer STS could have sent always fits, and 37 h for 1 h does not.
SLACK = 600


def session_from_reply(
    reply: dict[str, Any], profile: str, now: dt.datetime, not_an_answer: str, asked: int
) -> Session:
    """The answer's credentials, checked, ending no later than `asked` seconds from now (plus SLACK)."""
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
    # The clock now, not the login's start: a person may have taken minutes to type the code.
    latest = max(now, dt.datetime.now(dt.timezone.utc)) + dt.timedelta(seconds=asked + SLACK)
    if session.expiration > latest:
        # Not what was asked for; cached, it would be served long after the session STS meant.
        raise MfaenvError(
            f"STS returned a session that ends at {session.expiration:%Y-%m-%d %H:%M:%S %Z}, later than the "
            f"{span(asked)} session asked for allows; nothing was cached; check the endpoint, and this machine's clock",
            Exit.AWS,
        )
    return session


def caller_arn(profile: SourceProfile) -> str:
    client = make_client(profile, "sts")
    reply = call(client, profile, "GetCallerIdentity", client.get_caller_identity)
    try:
        # The ARN is shown to the user and its last part sent to IAM: 20-2048 visible characters (API reference).
        arn = shapes.visible(reply.get("Arn"), "Arn", 2048)
        if len(arn) < 20:
            raise shapes.BadShape("Arn", "is shorter than an ARN")
    except shapes.BadShape as e:
        raise MfaenvError(f"{not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None
    return arn
