"""The session in this shell, read from the environment only. Pure."""

from __future__ import annotations

import datetime as dt
import enum
from collections import namedtuple
from collections.abc import Mapping

from mfaenv.inputs import number


class State(enum.IntEnum):
    """`mfaenv status` exit codes, for scripts and cron (docs/commands.md)."""

    VALID = 0
    EXPIRING = 10  # valid, but within the margin: log in again soon
    EXPIRED = 11
    NONE = 12  # no session in this environment


class Status(namedtuple("Status", "state profile expires seconds_left source")):
    """state: State; profile: str | None; expires: aware datetime | None;
    seconds_left: int | None; source: the variable the expiry came from."""

    __slots__ = ()

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state.name.lower(),
            "profile": self.profile,
            "expires_utc": self.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if self.expires else None,
            "expires_local": self.expires.astimezone().isoformat(timespec="seconds") if self.expires else None,
            "seconds_left": self.seconds_left,
            "source": self.source,
        }


def read(env: Mapping[str, str], now: dt.datetime, margin: int) -> Status:
    """MFAENV_EXPIRES, else AWS_CREDENTIAL_EXPIRATION (set by `aws configure export-credentials` too)."""
    profile = shown(env.get("MFAENV_PROFILE", "")) or None
    expires, source = None, "none"
    epoch = env.get("MFAENV_EXPIRES", "")
    seconds = number(epoch, 11)  # 11 digits reach year 5138
    if seconds is not None:
        expires, source = dt.datetime.fromtimestamp(seconds, dt.timezone.utc), "MFAENV_EXPIRES"
    elif env.get("AWS_CREDENTIAL_EXPIRATION") and env.get("AWS_ACCESS_KEY_ID"):
        try:
            expires = dt.datetime.fromisoformat(env["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00"))
            expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.timezone.utc)
            source = "AWS_CREDENTIAL_EXPIRATION"
        except ValueError:
            expires = None
        if expires is not None and not 1970 < expires.year < 9000:
            expires, source = None, "none"  # so far off that local time can't show it: not a real session
    if expires is None:
        return Status(State.NONE, profile, None, None, source)
    left = int((expires - now).total_seconds())
    state = State.EXPIRED if left <= 0 else State.EXPIRING if left <= margin else State.VALID
    return Status(state, profile, expires, left, source)


def shown(text: str) -> str:
    """`text` as printable text: what the environment holds is input, printed here to a terminal.

    A name that is not UTF-8 reaches os.environ as surrogate escapes, which can't
    be encoded; it and any control character (a terminal escape, a newline) are
    shown as Python-style escapes: `work\\xff`, `a\\nb`.
    """
    if text.isprintable() and text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that no byte became (Windows)
        raw = text.encode("utf-8", "backslashreplace").decode("ascii")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in raw)


def describe(status: Status) -> str:
    if status.state is State.NONE:
        return "no MFA session in this shell"
    assert status.expires is not None and status.seconds_left is not None
    who = f"profile {status.profile}" if status.profile else "session"
    local = status.expires.astimezone()
    when = f"{status.expires:%Y-%m-%d %H:%M:%S} UTC ({local:%H:%M %Z} local)"
    if status.state is State.EXPIRED:
        return f"{who}: expired at {when}, {span(-status.seconds_left)} ago"
    soon = ", expiring soon" if status.state is State.EXPIRING else ""
    return f"{who}: valid until {when}, {span(status.seconds_left)} left{soon}"


def span(seconds: int) -> str:
    """`11h52m`, `9m`, `<1m`: the prompt segment's form."""
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m" if seconds >= 60 else "<1m"


def until(expires: dt.datetime, now: dt.datetime) -> str:
    """`15:23 CET`, `03:23 CET tomorrow`, `Fri 04 Dec 03:23 CET`: when a session ends, in local time."""
    local, today = expires.astimezone(), now.astimezone().date()
    when = f"{local:%H:%M %Z}".strip()
    if local.date() == today:
        return when
    if (local.date() - today).days == 1:
        return f"{when} tomorrow"
    return f"{local:%a %d %b} {when}"


def article(text: str) -> str:
    """"a" or "an" before `text`, a length such as `8h` or `1h30m`, by how its number is said.

    "an" before a vowel sound: 8, 80-89 and 800... ("eight..."), 11 and 18 alone or
    leading a group of thousands ("eleven", "eighteen thousand"); "a" before the rest.
    """
    digits = text[: len(text) - len(text.lstrip("0123456789"))]
    if not digits:
        return "a"
    lead = digits[: len(digits) % 3 or 3]  # the number said first: "18" of 18000, "800" of 800
    return "an" if digits[0] == "8" or lead in ("11", "18") else "a"


def cached_sessions(count: int, verb: str = "") -> str:
    """The one spelling of a number of cached sessions: `no cached sessions`, `removed 1 cached session`, `2 cached sessions`.

    `verb` (removed, forgot) goes before a count that is not zero.
    """
    if count == 0:
        return "no cached sessions"
    return f"{verb} {count} cached session".lstrip() + ("" if count == 1 else "s")
