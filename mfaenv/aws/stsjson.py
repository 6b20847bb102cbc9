"""STS JSON documents for `mfaenv export`. Pure.

Two shapes: the AWS CLI's `sts get-session-token` (and assume-role) output,
{"Credentials": {"AccessKeyId": ..., "Expiration": ...}}, and the
credential_process format, {"Version": 1, "AccessKeyId": ..., ...}.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from mfaenv.aws.shapes import MAX_VALUE
from mfaenv.errors import MfaenvError
from mfaenv.inputs import shown
from mfaenv.plan import Session


def parse(text: str, source: str, label: str, now: dt.datetime) -> Session:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise MfaenvError(f"{source} is not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(doc, dict):
        raise MfaenvError(f"{source} is JSON but not an object; expected STS output or credential_process JSON")
    if "Credentials" in doc:
        creds = doc["Credentials"]
        if not isinstance(creds, dict):
            raise MfaenvError(f"{source}: Credentials is not an object")
    elif "Version" in doc:
        if doc["Version"] != 1:
            raise MfaenvError(f"{source}: credential_process Version {doc['Version']!r} is not supported; expected 1")
        creds = doc
    else:
        raise MfaenvError(f"{source} has neither a Credentials object nor Version 1; expected STS output")
    key, secret = _text(creds, "AccessKeyId", source), _text(creds, "SecretAccessKey", source)
    token = _text(creds, "SessionToken", source) if creds.get("SessionToken") is not None else None
    expiration = _when(creds.get("Expiration"), source)
    if expiration is not None and expiration <= now:
        raise MfaenvError(f"{source}: the session expired at {expiration:%Y-%m-%d %H:%M:%S} UTC; get a new one")
    return Session(key, secret, token, expiration, label)


def _text(creds: dict[str, Any], field: str, source: str) -> str:
    value = creds.get(field)
    if not isinstance(value, str) or not value:
        raise MfaenvError(f"{source}: {field} is missing or not a non-empty string")
    if len(value) > MAX_VALUE:
        # Set in a shell, it would make every later command fail with "Argument list too long".
        raise MfaenvError(
            f"{source}: {field} is {len(value)} characters long; at most {MAX_VALUE} fit an environment variable safely"
        )
    return value


def _when(value: Any, source: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MfaenvError(f"{source}: Expiration {shown(str(value))} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)  # STS times are UTC
    try:
        return when.astimezone(dt.timezone.utc)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC; 0001-01-01T00:30+01:00 in year 0
        raise MfaenvError(f"{source}: Expiration {shown(str(value))} is outside years 1 to 9999 in UTC") from None
