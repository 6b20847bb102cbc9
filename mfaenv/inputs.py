"""Checks on what the user types, done before any AWS call. Pure functions."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from mfaenv.errors import MfaenvError

# STS GetSessionToken limits (API reference, DurationSeconds): IAM users
# 900-129600 s, the root user 900-3600 s.
MIN_DURATION = 900
MAX_DURATION = 129_600
MAX_ROOT_DURATION = 3_600
DEFAULT_DURATION = 43_200  # STS's own default: 12 hours
#: A cached session is reused, and `status` says "valid" rather than "expiring",
#: while more than this is left (MFAENV_MARGIN changes it).
DEFAULT_MARGIN = 15 * 60

# Pattern strings, compiled by `re` (and cached there) on first use: compiling
# them all at import costs a cached login a few milliseconds for nothing.
_DURATION = r"(?a)(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?\Z"
_CODE = r"[0-9]{6}\Z"
_CODE_IN_TEXT = r"(?<![0-9])[0-9]{6}(?![0-9])"
# STS SerialNumber: 9-256 characters of [\w+=/:,.@-].
_SERIAL = r"(?a)[\w+=/:,.@-]{9,256}\Z"
_USER_ARN = r"arn:aws[\w-]*:iam::\d{12}:user/"
# botocore's own rule for a region name (validate_region_name): it goes into
# host names, and into the shell and the credentials file from here.
_REGION = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\Z"


#: The longest span any setting takes (a margin, a threshold): ten years. A span of a billion days
#: would overflow the dates it is added to.
MAX_SPAN = 10 * 365 * 86_400


def number(text: str, digits: int = 9) -> int | None:
    """`text` as a whole number if it is 1 to `digits` ASCII digits, else None.

    Not str.isdigit() nor int() alone: both take '²' or '١٢', and int() of 5,000 digits raises.
    """
    if not text or len(text) > digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut short: a bad value may be pages long."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def parse_duration(text: str, *, root: bool = False, source: str = "--duration") -> int:
    """Seconds from `3600`, `15m`, `12h`, `1d12h`; range-checked for STS. `source` names where it came from."""
    try:
        seconds = parse_span(text, "duration")
    except MfaenvError:
        raise MfaenvError(f"{source} {shown(text)} is not a number of seconds or a span like 15m, 12h, 1d12h") from None
    top = MAX_ROOT_DURATION if root else MAX_DURATION
    if not MIN_DURATION <= seconds <= top:
        who = "the root user" if root else "an IAM user"
        raise MfaenvError(
            f"{source} {text!r} is {seconds} s; STS allows {MIN_DURATION}-{top} s (15m-{_span(top)}) for {who}"
        )
    return seconds


def parse_span(text: str, source: str) -> int:
    """Seconds from `900`, `15m`, `1h30m` (no STS range, at most MAX_SPAN): for margins and thresholds."""
    t = text.strip().lower()
    seconds = number(t)
    if seconds is None:
        m = re.match(_DURATION, t)
        if not t or not m or not any(m.groups()):
            raise MfaenvError(f"{source} {shown(text)} is not a number of seconds or a span like 15m, 1h30m")
        d, h, mi, s = (int(g or 0) for g in m.groups())
        seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    if seconds > MAX_SPAN:
        raise MfaenvError(f"{source} {shown(text)} is over 10 years; give a shorter span like 15m, 12h")
    return seconds


def margin(env: Mapping[str, str]) -> int:
    """Seconds a session must have left to count as good: MFAENV_MARGIN, else 15 minutes."""
    text = env.get("MFAENV_MARGIN")
    return parse_span(text, "MFAENV_MARGIN") if text else DEFAULT_MARGIN


def _span(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{h}h" if not rest else f"{h}h{rest // 60}m"


def check_code(code: str) -> str | None:
    """The code without surrounding blanks if it is six digits, else None."""
    code = code.strip().replace(" ", "")
    return code if re.match(_CODE, code) else None


def code_in_output(text: str) -> str | None:
    """The first six-digit number in a token command's output (ykman, op, ...)."""
    m = re.search(_CODE_IN_TEXT, text)
    return m.group(0) if m else None


def check_serial(serial: str, source: str) -> str:
    serial = serial.strip()
    if re.match(_USER_ARN, serial):
        raise MfaenvError(
            f"MFA serial {serial!r} from {source} is a user ARN; the device's ARN has ':mfa/' where this has ':user/'"
        )
    if not re.match(_SERIAL, serial):
        raise MfaenvError(
            f"MFA serial {serial!r} from {source} is not a device ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or hardware serial"
        )
    return serial


def check_region(region: str, source: str) -> str:
    """A region name such as eu-west-1, stripped; anything else is refused, naming where it came from."""
    region = region.strip()
    if not re.match(_REGION, region):
        raise MfaenvError(f"region {region!r} from {source} is not a region name like eu-west-1; fix it")
    return region


def is_root_arn(arn: str) -> bool:
    return bool(re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:root", arn))


def is_root_serial(serial: str) -> bool:
    # The root user's virtual device as the IAM console names it.
    return serial.endswith(":mfa/root-account-mfa-device")


def absolute_path(var: str, given: str, example: str) -> str:
    """The path `var` names, ~ expanded and normalised; refused if relative: it would name
    another place in every folder the user works in."""
    path = os.path.expanduser(given)
    if not os.path.isabs(path):
        raise MfaenvError(f"{var} {given!r} is not an absolute path; set it to one, e.g. {example}")
    return os.path.normpath(path)
