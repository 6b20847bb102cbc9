"""The documented shapes of temporary credentials, checked before anything uses them. Pure.

An STS answer (or any other source of credentials) is input: its values end up
in shell code, the credentials file and the cache, where a carriage return
writes a new profile and an over-long token breaks every later command. The
shapes come from the STS API reference (Credentials data type): AccessKeyId
16-128 characters of `[\\w]`; SecretAccessKey and SessionToken strings, which
STS only ever fills with printable ASCII and no blanks; Expiration a timestamp.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from mfaenv.plan import Session

#: The longest SessionToken (and SecretAccessKey) accepted. AWS documents no
#: size and says not to assume one; real tokens run from a few hundred bytes to
#: a few KB (session tags and policies make them longer). A value must fit an
#: environment variable everywhere: Linux refuses a single NAME=VALUE over
#: 128 KiB (MAX_ARG_STRLEN) at every later exec, Windows holds at most 32,767
#: characters per variable. 16 KiB leaves room for tokens several times the
#: largest reported, and is half of the smaller of those limits.
MAX_VALUE = 16 * 1024

# Pattern strings, compiled by `re` (and cached there) on first use.
_KEY_ID = r"(?a)\w{16,128}\Z"  # the reference's [\w]: ASCII letters, digits and _
_VISIBLE = r"[!-~]+\Z"  # printable ASCII, no blank: 0x21-0x7E
_TIMESTAMP = r"(?a)(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:?\d\d)?\Z"


class BadShape(ValueError):
    """A field that is not what STS documents. The message names the field, never its value."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field} {why}")
        self.field = field


def session(
    fields: Mapping[str, object], profile: str, *, need_token: bool = True, need_expiration: bool = True
) -> Session:
    """A Session from STS-named fields (AccessKeyId, SecretAccessKey, SessionToken, Expiration).

    Expiration may be an ISO 8601 string or a datetime (naive means UTC).
    Raises BadShape for the first field that is missing or out of shape.
    """
    key = _present(fields, "AccessKeyId")
    if not re.match(_KEY_ID, key):
        raise BadShape("AccessKeyId", "is not 16-128 letters, digits or _")
    secret = visible(fields.get("SecretAccessKey"), "SecretAccessKey")
    token = None
    if need_token or fields.get("SessionToken") is not None:
        token = visible(fields.get("SessionToken"), "SessionToken")
    expiration = None
    if need_expiration or fields.get("Expiration") is not None:
        expiration = timestamp(fields.get("Expiration"), "Expiration")
    return Session(key, secret, token, expiration, profile)


def visible(value: object, field: str, limit: int = MAX_VALUE) -> str:
    """`value` if it is 1 to `limit` characters of printable ASCII without blanks, else BadShape."""
    text = _present({field: value}, field)
    if len(text) > limit:
        raise BadShape(field, f"is {len(text)} characters long; at most {limit} fit an environment variable safely")
    if not re.match(_VISIBLE, text):
        bad = next(c for c in text if not "!" <= c <= "~")
        if bad <= " " or "\x7f" <= bad <= "\x9f":  # C0, space, DEL, C1
            raise BadShape(field, "holds a control character or a blank")
        raise BadShape(field, "holds a character outside printable ASCII")
    return text


def timestamp(value: object, field: str = "Expiration") -> dt.datetime:
    """An aware UTC datetime from an ISO 8601 time (`2011-07-15T23:28:33.359Z`) or a datetime."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    text = _present({field: value}, field)
    m = re.match(_TIMESTAMP, text) if len(text) <= 40 else None
    if not m:
        raise BadShape(field, "is not an ISO 8601 timestamp")
    *parts, fraction, offset = m.groups()
    try:
        zone = dt.timezone.utc
        if offset and offset not in "Zz":
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[-2:])
            zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        micro = int((fraction or "0").ljust(6, "0")[:6])
        when = dt.datetime(*(int(p) for p in parts), micro, tzinfo=zone)  # type: ignore[misc]
        return when.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):  # month 13, hour 25, an offset of a day or more, past year 9999 in UTC
        raise BadShape(field, "is not an ISO 8601 timestamp") from None


def _present(fields: Mapping[str, object], field: str) -> str:
    value = fields.get(field)
    if value is None or value == "":
        raise BadShape(field, "is missing")
    if not isinstance(value, str):
        raise BadShape(field, "is not a string")
    return value
