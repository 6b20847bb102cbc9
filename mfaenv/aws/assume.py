"""AssumeRole: the call, and STS's refusals in words. I/O edge.

botocore is imported (through mfaenv.aws.sts) only when a role session is really
fetched: a cached role login makes no call and pays nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from mfaenv.aws import limits, sts
from mfaenv.aws.client import make_client
from mfaenv.aws.explain import explain as explain_error
from mfaenv.aws.explain import printable, redact
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from mfaenv.status import article
from mfaenv.store import roles
from mfaenv.store.config import SourceProfile

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

# What STS returns as AssumedRoleUser.Arn; anything else is not kept.
_ASSUMED_ARN = r"(?a)arn:aws[\w-]*:sts::\d{12}:assumed-role/[\w+=,.@/-]{1,1024}\Z"
# The caller STS names in a refusal ("User: ARN is not authorized to perform: ...").
_CALLER = r"(?a)User: (arn:aws[\w-]*:(?:iam|sts)::\d{12}:[\w+=,.@/-]{1,1024}) is not authorized"


class Signer:
    """Who signs AssumeRole: the source's long-term keys, or a session (an MFA session or a role's).

    label says which, for messages: "the long-term keys of profile 'work'",
    "the MFA session of profile 'work'", "the session of role profile 'prod-admin'".
    """

    def __init__(self, source: SourceProfile, session: Session | None, label: str, via_role: str | None = None) -> None:
        self.source = source
        self.session = session
        self.label = label
        self.via_role = via_role  # the role profile whose session signs (role chaining), else None

    def client_profile(self, role: roles.Role, region: str) -> SourceProfile:
        # The role profile's name, so its endpoint settings apply; the signer's keys, never the environment's.
        s = self.session
        if s is None:
            return self.source._replace(name=role.profile, region=region)
        return SourceProfile(role.profile, s.access_key_id, s.secret_access_key, None, region, {})

    def client(self, role: roles.Role, region: str, once: bool = False) -> Any:
        # A session signs with its own keys and token (make_client's mfa_session); else the long-term keys.
        # `once`: the request carries an MFA code, so botocore must not resend it.
        return make_client(self.source._replace(name=role.profile, region=region), "sts", self.session, once)


def assume_role(
    signer: Signer,
    role: roles.Role,
    region: str,
    duration: int,
    mfa: tuple[str, str] | None,
    now: dt.datetime,
) -> tuple[Session, str]:
    """The role's session, and the assumed-role ARN STS reports (checked: it names the role and session asked).

    mfa is (serial, code) when the long-term keys sign: then STS sees the MFA
    device and code in the request itself.
    """
    if signer.session is None and mfa is None:
        # The rule the whole design rests on: long-term keys never go to AssumeRole without MFA.
        raise AssertionError("AssumeRole with long-term keys needs SerialNumber and TokenCode")
    client = signer.client(role, region, once=mfa is not None)
    params: dict[str, Any] = {"RoleArn": role.arn, "RoleSessionName": role.session_name, "DurationSeconds": duration}
    if role.external_id is not None:
        params["ExternalId"] = role.external_id
    if mfa is not None:
        params["SerialNumber"], params["TokenCode"] = mfa

    try:
        reply = limits.within(limits.deadline(), lambda: client.assume_role(**params))
    except MfaenvError:
        raise
    except Exception as e:  # noqa: BLE001 - every botocore failure is mapped to one line
        raise explain(e, client, signer, role, duration, mfa) from None
    # The credentials through the same shape checks as GetSessionToken's (mfaenv.aws.shapes).
    session = sts.session_from_reply(reply, role.profile, now, limits.not_an_answer(client), duration)
    user = reply.get("AssumedRoleUser")
    arn = user.get("Arn") if isinstance(user, dict) else None
    if not (isinstance(arn, str) and re.match(_ASSUMED_ARN, arn) and names_request(arn, role)):
        # Another account's role (or another session) must not be used, nor cached, as this profile's.
        got = f"names {printable(arn, 200)!r}" if isinstance(arn, str) else "names no assumed role"
        raise MfaenvError(
            f"STS's AssumeRole answer for {role.arn} (profile {role.profile!r}) {got}, not that role and "
            f"session {role.session_name!r}; nothing was used or cached; check the endpoint (AWS_ENDPOINT_URL_STS)",
            Exit.AWS,
        )
    return session, arn


def names_request(assumed: str, role: roles.Role) -> bool:
    """Whether an assumed-role ARN is the one STS gives for `role` and its session name.

    arn:PARTITION:iam::ACCOUNT:role/PATH/NAME gives arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION;
    IAM role names are unique without regard to case, so the name's case may differ from role_arn's.
    """
    _, partition, _, _, account, resource = role.arn.split(":", 5)  # roles.resolve checked its shape
    head = f"arn:{partition}:sts::{account}:assumed-role/"
    if not assumed.startswith(head) or assumed.count("/") != 2:
        return False
    name, session = assumed[len(head) :].split("/")
    return name.lower() == resource.rsplit("/", 1)[-1].lower() and session == role.session_name


def explain(
    e: Exception, client: Any, signer: Signer, role: roles.Role, duration: int, mfa: tuple[str, str] | None
) -> Exception:
    """AssumeRole's own refusals; everything else as for the other STS calls."""
    from botocore.exceptions import ClientError

    code = mfa[1] if mfa else ""
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        # The endpoint's words may go into our line: no controls, and not a page of them (as sts.explain).
        kind = printable(str(err.get("Code", "")), 64)
        msg = redact(printable(str(err.get("Message", "")), 300), (code,))
        what = f"role {role.arn} (profile {role.profile!r})"
        if kind == "AccessDenied" and "sts:AssumeRole" in msg:
            return MfaenvError(_denied(msg, what, signer, role), Exit.AUTH)
        if kind == "ValidationError" and "role chaining" in msg:
            return MfaenvError(
                f"STS refused {article(roles.span(duration))} {roles.span(duration)} session of {what}: "
                "a role assumed with session credentials "
                "(an MFA session, or another role's) lasts at most 1 hour; use --duration 1h or less",
                Exit.INPUT,
            )
        if kind == "ValidationError" and "MaxSessionDuration" in msg:
            return MfaenvError(
                f"{what} allows shorter sessions than {roles.span(duration)} (its MaxSessionDuration); "
                "ask for less with --duration or duration_seconds, or ask the role's owner to raise it (up to 12h)",
                Exit.INPUT,
            )
        if signer.session is not None and kind in ("ExpiredToken", "InvalidClientTokenId"):
            return MfaenvError(
                f"STS no longer accepts {signer.label}, which signs AssumeRole of {what} ({kind}); "
                f"renew it with `mfaenv login --fresh --profile {signer.via_role or signer.source.name}`, "
                f"then log in to {role.profile} again",
                Exit.AUTH,
            )
    who = signer.source if signer.session is None else signer.client_profile(role, signer.source.region)
    return explain_error(e, client, who, "AssumeRole", (code,), mfa[0] if mfa else "?")


def _denied(msg: str, what: str, signer: Signer, role: roles.Role) -> str:
    m = re.search(_CALLER, msg)
    caller = m.group(1) if m else "you"
    head = f"AWS denied AssumeRole: the trust policy of {what} does not let {caller} assume it"
    if signer.via_role is not None:
        return (
            f"{head} from {signer.label}; a role's session carries no MFA code of its own, so if this role "
            f"requires MFA set `source_profile` of {role.profile!r} to the profile with long-term keys, "
            "else ask the role's owner to trust that role"
        )
    ext = " and external_id" if role.external_id is not None else ""
    return (
        f"{head} with MFA{' and this external id' if ext else ''}; check role_arn{ext} of profile "
        f"{role.profile!r}, or ask the role's owner to trust {caller} (with MFA)"
    )
