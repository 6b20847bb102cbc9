"""Role profiles, read the way botocore reads them. Pure: mfaenv.store.config reads the files.

A role profile has `role_arn` and a `source_profile` (botocore also allows
`credential_source`, not supported here yet). The source may be a role itself
(a chain), resolved until a profile with long-term keys; a loop is an error.
Settings per role, as botocore names them: `mfa_serial`, `external_id`,
`role_session_name`, `duration_seconds`. Where botocore takes the MFA serial
from the role profile only, mfaenv also looks down the chain to the source:
the one MFA device that signs the MFA session is the source user's.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping

from mfaenv.errors import MfaenvError
from mfaenv.inputs import number, shown

#: STS AssumeRole limits (API reference): DurationSeconds 900 s to the role's
#: MaxSessionDuration, itself at most 12 h; and 1 h for a role assumed with
#: session credentials (from GetSessionToken, or another role: "role chaining").
MIN_ROLE_DURATION = 900
MAX_ROLE_DURATION = 43_200
CHAINED_LIMIT = 3_600
DEFAULT_ROLE_DURATION = 3_600

# Shapes from the STS and IAM API references: RoleArn 20-2048 characters (a
# role name of up to 64 after an optional path), RoleSessionName 2-64 of
# [\w+=,.@-], ExternalId 2-1224 of [\w+=,.@:/-].
_ROLE_ARN = r"(?a)arn:aws[\w-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}\Z"
_SESSION_NAME = r"(?a)[\w+=,.@-]{2,64}\Z"
_EXTERNAL_ID = r"(?a)[\w+=,.@:/-]{2,1224}\Z"
_SSO_KEYS = ("sso_session", "sso_start_url", "sso_account_id", "sso_role_name")
_STATIC_KEYS = ("aws_access_key_id", "aws_secret_access_key")
MARKER = "mfaenv_source_profile"  # credfile.MARKER, without importing the file writer


class Role(namedtuple("Role", "profile arn external_id session_name duration")):
    """One AssumeRole: the role profile's name and its checked settings.

    external_id: str | None; session_name: str; duration: seconds from
    duration_seconds, or None when the profile does not set it.
    """

    __slots__ = ()


class Chain(namedtuple("Chain", "target source roles mfa_serial serial_from region")):
    """How to reach profile `target`: the long-term keys of profile `source`, then each of `roles` in order.

    roles is () for a profile of long-term keys. mfa_serial: the first
    mfa_serial from the target down to the source, or None; serial_from: the
    profile that set it. region: the target profile's own `region`, or None.
    """

    __slots__ = ()


def resolve(name: str, profiles: Mapping[str, Mapping[str, str]]) -> Chain:
    """The chain behind profile `name`; a profile that is not a role is its own source.

    An unknown profile is left to config.load_profile, which words that error.
    """
    values = profiles.get(name)
    if values is None:
        return Chain(name, name, (), None, None, None)
    marked = values.get(MARKER, "").strip()
    if marked and marked != name and marked in profiles:
        # A session profile mfaenv wrote (AWS_PROFILE=prod-admin-mfa): renew it from where it came from.
        name, values = marked, profiles[marked]
    target, region = name, values.get("region", "").strip() or None
    found: list[Role] = []
    visited = [name]
    current = name
    while True:
        values = profiles[current]
        # botocore: a source profile's long-term keys win over its own role_arn.
        if "role_arn" not in values or (found and _has_keys(values)):
            break
        found.append(_role(current, values))
        source = _source_of(current, values, profiles)
        if source == current and _has_keys(values):
            break  # `source_profile` naming itself: the role is assumed with this profile's keys
        if source in visited:
            path = " -> ".join([*visited, source])
            raise MfaenvError(
                f"the source_profile settings loop ({path}); point one of them at a profile with long-term keys"
            )
        visited.append(source)
        current = source
    _refuse_sso(current, profiles[current], target)
    chain_roles = tuple(reversed(found))
    # The role's own mfa_serial, else the next one down the chain, else the source's.
    serial, serial_from = None, None
    for profile in [*(r.profile for r in found), current]:
        serial = profiles[profile].get("mfa_serial", "").strip() or None
        if serial:
            serial_from = profile
            break
    return Chain(target, current, chain_roles, serial, serial_from, region)


def describe(name: str, profiles: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    """`work (long-term keys)`, `prod-admin (arn:...:role/Admin)`, ...: the chain for whoami; () if no role."""
    try:
        chain = resolve(name, profiles)
    except MfaenvError:
        return ()
    if not chain.roles:
        return ()
    return (f"{chain.source} (long-term keys)", *(f"{r.profile} ({r.arn})" for r in chain.roles))


def _has_keys(values: Mapping[str, str]) -> bool:
    return any(values.get(k, "").strip() for k in _STATIC_KEYS)


def _source_of(name: str, values: Mapping[str, str], profiles: Mapping[str, Mapping[str, str]]) -> str:
    source = values.get("source_profile", "").strip()
    if values.get("credential_source", "").strip():
        what = "both source_profile and credential_source" if source else "credential_source"
        raise MfaenvError(
            f"profile {name!r} uses {what}; mfaenv does not support credential_source yet: "
            "set source_profile to a profile with the IAM user's long-term keys instead"
        )
    if values.get("web_identity_token_file", "").strip():
        raise MfaenvError(
            f"profile {name!r} assumes its role with a web identity token, which mfaenv does not support yet; "
            "use it through the AWS SDKs directly"
        )
    if not source:
        raise MfaenvError(
            f"profile {name!r} has role_arn but no source_profile; "
            "add `source_profile = NAME` naming the profile with the IAM user's long-term keys"
        )
    if source not in profiles:
        known = ", ".join(sorted(profiles))
        raise MfaenvError(f"source_profile {source!r} of profile {name!r} does not exist; known profiles: {known}")
    return source


def _refuse_sso(name: str, values: Mapping[str, str], target: str) -> None:
    if _has_keys(values) or not any(values.get(k, "").strip() for k in _SSO_KEYS):
        return
    via = "" if name == target else f" (the source of profile {target!r})"
    raise MfaenvError(
        f"profile {name!r}{via} uses IAM Identity Center (SSO), which mfaenv does not support yet; "
        "use `aws sso login` for it, or a source profile with an IAM user's long-term keys"
    )


def _role(name: str, values: Mapping[str, str]) -> Role:
    arn = values.get("role_arn", "").strip()
    if not re.match(_ROLE_ARN, arn) or len(arn) > 2048:
        raise MfaenvError(
            f"role_arn {arn!r} of profile {name!r} is not a role ARN; "
            "it looks like arn:aws:iam::ACCOUNT:role/NAME (from the role's page in the IAM console)"
        )
    external_id = values.get("external_id", "").strip() or None
    if external_id is not None and not re.match(_EXTERNAL_ID, external_id):
        raise MfaenvError(
            f"external_id of profile {name!r} must be 2-1224 characters of letters, digits and +=,.@:/-_; "
            "copy it from the role's owner again"
        )
    session_name = values.get("role_session_name", "").strip() or default_session_name(name)
    if not re.match(_SESSION_NAME, session_name):
        raise MfaenvError(
            f"role_session_name {session_name!r} of profile {name!r} must be 2-64 characters of "
            "letters, digits and +=,.@-_"
        )
    text = values.get("duration_seconds", "").strip()
    duration = None
    if text:
        duration = number(text, 6)
        if duration is None or not MIN_ROLE_DURATION <= duration <= MAX_ROLE_DURATION:
            raise MfaenvError(
                f"duration_seconds {shown(text)} of profile {name!r} must be whole seconds from "
                f"{MIN_ROLE_DURATION} to {MAX_ROLE_DURATION} (15m-12h)"
            )
    return Role(name, arn, external_id, session_name, duration)


def default_session_name(profile: str) -> str:
    """`mfaenv-<profile>`: stable, so cached role sessions are found again (botocore's has the time in it)."""
    cleaned = re.sub(r"(?a)[^\w+=,.@-]", "-", profile)
    return f"mfaenv-{cleaned}"[:64]


def check_duration(seconds: int, text: str) -> int:
    """A role session's length, range-checked for AssumeRole."""
    if not MIN_ROLE_DURATION <= seconds <= MAX_ROLE_DURATION:
        raise MfaenvError(
            f"duration {text!r} is {seconds} s; AssumeRole allows {MIN_ROLE_DURATION}-{MAX_ROLE_DURATION} s "
            "(15m-12h, and at most the role's MaxSessionDuration)"
        )
    return seconds


def span(seconds: int) -> str:
    """`8h`, `1h30m`, `45m`: a role session's length in messages."""
    h, rest = divmod(seconds, 3600)
    return f"{h}h{rest // 60:02d}m" if h and rest else f"{h}h" if h else f"{rest // 60}m"
