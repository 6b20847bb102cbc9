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

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.store.config import SourceProfile


def get_session_token(profile: SourceProfile, serial: str, code: str, duration: int, now: dt.datetime) -> Session:
    client = make_client(profile, "sts")
    reply = call(
        client,
        profile,
        "GetSessionToken",
        lambda: client.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=duration),
        (code,),
        serial,
    )
    return session_from_reply(reply, profile.name, now, not_an_answer(client))


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
