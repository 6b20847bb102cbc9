"""The pure core: which variables a login, export or logout removes and sets.

Nothing here reads the environment or the clock; callers pass both in, so every
rule is a plain function test away. Rendering for a shell happens elsewhere
(mfaenv.shells) from the EnvChange built here.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Mapping

#: The session's keys, in the order SDKs document them.
CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
#: Everything a login sets. AWS_CREDENTIAL_EXPIRATION is what starship's aws
#: module reads; MFAENV_EXPIRES is epoch seconds so prompt hooks need no date parsing.
SESSION_VARS = CREDENTIAL_VARS + ("AWS_CREDENTIAL_EXPIRATION", "MFAENV_PROFILE", "MFAENV_EXPIRES")
#: Removed on every login and never set. botocore reads AWS_SECURITY_TOKEN
#: before AWS_SESSION_TOKEN, so a stale one would win over the new session.
STALE_VARS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION")
#: Moved aside on login and restored on logout. With AWS_PROFILE set, the JS SDK
#: v3 ignores environment keys and signs with the profile's long-term key (no MFA).
MOVED_ASIDE = {
    "AWS_PROFILE": "MFAENV_SAVED_AWS_PROFILE",
    "AWS_DEFAULT_PROFILE": "MFAENV_SAVED_AWS_DEFAULT_PROFILE",
}
#: Set from the profile's `region` on login, because moving AWS_PROFILE aside
#: takes the profile's region with it (SDKs would then use no region, or the
#: default profile's). Never over a region the user set; logout gives back what was there.
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
#: The region mfaenv set, so a later login or logout can tell its own value from the user's.
REGION_MARK = "MFAENV_REGION"
#: What `--region` replaced, restored on logout.
SAVED_REGION = {name: f"MFAENV_SAVED_{name}" for name in REGION_VARS}
#: What logout gives back, and the variable it gives it back from.
RESTORED_FROM = {**MOVED_ASIDE, **SAVED_REGION}
#: A shell holds an mfaenv session when one of these is set.
MARKERS = ("MFAENV_PROFILE", "MFAENV_EXPIRES")


# Values are immutable named tuples rather than frozen dataclasses: importing
# dataclasses pulls in inspect, a sixth of the time budget of `mfaenv status`.


class Session(
    namedtuple("Session", "access_key_id secret_access_key session_token expiration profile region", defaults=(None,))
):
    """Temporary credentials as STS (or an STS JSON document) returned them.

    access_key_id, secret_access_key: str; session_token: str | None;
    expiration: timezone-aware datetime | None; profile: the source profile,
    or a label for `export` ("" for none); region: the profile's own `region`
    setting, to carry into the shell (None: the profile sets none).
    """

    __slots__ = ()

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return (
            f"Session(access_key_id={self.access_key_id!r}, profile={self.profile!r}, expiration={self.expiration!r})"
        )


class EnvChange(namedtuple("EnvChange", "unset set", defaults=((), ()))):
    """Variables to remove (tuple of names), then to set (tuple of (name, value)), in printing order."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"EnvChange(unset={self.unset!r}, set={tuple(k for k, _ in self.set)!r})"


def iso_utc(when: dt.datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: the form SDKs and starship parse."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def session_values(session: Session) -> dict[str, str | None]:
    """The value of every SESSION_VARS entry for this session; None means remove."""
    exp = session.expiration
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
        "AWS_CREDENTIAL_EXPIRATION": iso_utc(exp) if exp else None,
        "MFAENV_PROFILE": session.profile or None,
        "MFAENV_EXPIRES": str(int(exp.timestamp())) if exp else None,
    }


def plan_login(session: Session, env: Mapping[str, str], region: str | None = None) -> EnvChange:
    """Remove every stale variable, move AWS_PROFILE aside, set the session and its region.

    A variable with no new value is always unset, even if `env` lacks it:
    the caller's view of the environment may be older than the shell's.
    `region` (from --region) wins over a region the shell sets; the
    session's own (the profile's) never does.
    """
    values: dict[str, str | None] = {name: None for name in STALE_VARS}
    for name, saved in MOVED_ASIDE.items():
        values[name] = None
        # A second login keeps what the first one moved aside.
        values[saved] = env.get(name) or env.get(saved) or None
    values.update(session_values(session))
    values.update(_region_values(region or session.region, bool(region), env))
    return _change(values)


def _region_values(region: str | None, forced: bool, env: Mapping[str, str]) -> dict[str, str | None]:
    ours = env.get(REGION_MARK)
    users = {n: env[n] for n in REGION_VARS if env.get(n) and env.get(n) != ours}
    values: dict[str, str | None] = {}
    if region and (forced or not users):
        for name in REGION_VARS:
            values[name] = region
            # A second login keeps what the first one replaced.
            values[SAVED_REGION[name]] = users.get(name) or env.get(SAVED_REGION[name]) or None
        values[REGION_MARK] = region
    elif ours:
        # An earlier login's region, now without a successor: give back what it replaced.
        values.update(_region_restored(env))
    return values


def _region_restored(env: Mapping[str, str]) -> dict[str, str | None]:
    """Undo the region an earlier login set, keeping one the user changed since."""
    ours = env.get(REGION_MARK)
    values: dict[str, str | None] = {REGION_MARK: None}
    for name in REGION_VARS:
        if ours and env.get(name) == ours:
            values[name] = env.get(SAVED_REGION[name]) or None
        values[SAVED_REGION[name]] = None
    return values


def plan_logout(env: Mapping[str, str]) -> EnvChange:
    """Undo a login: remove what it set and give back what it moved aside.

    Without a session marker this shell holds nothing of ours, so the
    credential variables are left alone: they were set by something else.
    """
    if not any(name in env for name in (*MARKERS, REGION_MARK)) and not any(s in env for s in MOVED_ASIDE.values()):
        return EnvChange()
    values: dict[str, str | None] = {name: None for name in SESSION_VARS}
    for name, saved in MOVED_ASIDE.items():
        values[saved] = None
        # A profile the user chose after login is theirs; keep it.
        if saved in env and name not in env:
            values[name] = env[saved]
    if REGION_MARK in env:
        values.update(_region_restored(env))
    return _change(values)


def _change(values: Mapping[str, str | None]) -> EnvChange:
    return EnvChange(
        unset=tuple(k for k, v in values.items() if v is None),
        set=tuple((k, v) for k, v in values.items() if v is not None),
    )


def apply(change: EnvChange, env: Mapping[str, str]) -> dict[str, str]:
    """`env` after `change`: what a shell evaluating it would hold (for `mfaenv exec`)."""
    out = {k: v for k, v in env.items() if k not in change.unset}
    out.update(change.set)
    return out
