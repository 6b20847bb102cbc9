"""A login is a chain of steps, each a source of credentials behind one method.

    long-term keys -> MfaSession (GetSessionToken, cached) -> AssumeRole (cached) -> AssumeRole ...
    long-term keys -> AssumeRole with SerialNumber and TokenCode (cached)      [a role session over 1 hour]

Each step looks in the cache first and only on a miss asks the step below it
for credentials to sign with; `--fresh` skips the cache for the top step only,
so a role's new session is signed by the cached MFA session. So a cached role session makes no call; a role
session renewed from a cached MFA session makes one AssumeRole call and needs
no code; only a missing MFA session (or the direct path) asks for a code.
The steps are plain objects built by `chain()` from the profile's settings:
no call and no question happens while building, so every check of what the
user typed comes before any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from mfaenv import inputs
from mfaenv.errors import MfaenvError
from mfaenv.plan import Session
from mfaenv.status import article
from mfaenv.store import cache, roles, stsendpoint
from mfaenv.store.config import SourceProfile

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from typing import Protocol, TypeVar

    T = TypeVar("T")

    class Context(Protocol):
        """What a step needs from the login around it (mfaenv.flow.login.Context)."""

        now: dt.datetime
        margin: int
        folder: str | None  # the cache folder; None when MFAENV_NO_CACHE is set
        reuse: bool  # False for --fresh: the top step makes a new session, the ones below it may be cached
        serial: str | None  # the MFA device's serial, once configured or looked up

        def mfa_device(self) -> tuple[str, bool]: ...  # (serial, is the root user's)
        def code(self, serial: str, why: str = "") -> str: ...
        def with_code(self, serial: str, why: str, call: Callable[[str], T]) -> tuple[T, str]: ...
        def one_login(self, serial: str, endpoint: str) -> AbstractContextManager[bool]: ...  # the device's lock
        def used(self, serial: str, code: str) -> None: ...
        def keep(self, write: object) -> None: ...
        def hit(self, name: str, session: Session, signs: str | None = None) -> None: ...
        def made(self, kind: str, name: str, session: Session, why: str = "") -> None: ...  # a session from STS
        def say(self, text: str) -> None: ...  # a note for stderr, once the login has succeeded


class MfaSession:
    """GetSessionToken with the source's long-term keys and an MFA code; shared by every role of the source."""

    def __init__(
        self,
        source: SourceProfile,
        serial: str | None,
        duration: int,
        explicit: str | None,
        named_by: str,
        sts: str = stsendpoint.DEFAULT,
    ) -> None:
        self.source = source
        self.serial = serial  # None: looked up in IAM, only if the cache has nothing
        self.duration = duration
        self.explicit = explicit  # the duration as the user set it (--duration, MFAENV_DURATION), if they did
        self.named_by = named_by  # which of the two, for messages
        self.signs: str | None = None  # the role profile this session signs for, if any
        self.sts = sts  # the STS endpoint its calls go to (store.stsendpoint): part of what the cached session is
        self.top = False  # the session the login is for: --fresh renews only that one
        self.label = f"the MFA session of profile {source.name!r}"

    def cached(self, ctx: Context, serial: str | None, waited: bool = False) -> Session | None:
        """The cached session, if one will do (after a wait for the device's lock, even under --fresh:
        the session another login just made is as fresh as this one's would be)."""
        src = self.source
        if ctx.folder is not None and (ctx.reuse or not self.top or waited):
            # A duration the user set is only answered by a session made with it.
            wanted = self.duration if self.explicit is not None else None
            hit = cache.lookup(
                ctx.folder, src.name, src.access_key_id, serial, ctx.now, ctx.margin, wanted, "", self.sts
            )
            if hit:
                ctx.hit(src.name, hit, self.signs)
                return hit
        return None

    def credentials(self, ctx: Context) -> Session:
        hit = self.cached(ctx, self.serial)
        if hit:
            return hit
        serial, root = ctx.mfa_device()
        duration = self.duration
        if root:
            duration = (
                inputs.parse_duration(self.explicit, root=True, source=self.named_by)
                if self.explicit is not None
                else min(duration, inputs.MAX_ROOT_DURATION)
            )
        with ctx.one_login(serial, self.sts) as waited:
            # Another login of this device may have made the session meanwhile: then no code is needed.
            hit = self.cached(ctx, serial, waited)
            if hit:
                return hit
            return self._fetch(ctx, serial, duration)

    def _fetch(self, ctx: Context, serial: str, duration: int) -> Session:
        from mfaenv.aws import sts

        src = self.source
        session, code = ctx.with_code(
            serial, "", lambda code: sts.get_session_token(src, serial, code, duration, ctx.now)
        )
        if ctx.folder is not None:
            folder = ctx.folder
            ctx.keep(
                lambda: cache.store(
                    folder,
                    src.name,
                    src.access_key_id,
                    serial,
                    session,
                    ctx.now,
                    duration,
                    about={"Kind": "mfa-session"},
                    endpoint=self.sts,
                )
            )
        ctx.used(serial, code)  # after the session: a write killed midway leaves the session's file, not this
        if self.signs is None:  # the session the login is for
            ctx.made("MFA session", src.name, session)
        return session


class AssumeRole:
    """AssumeRole of one role, signed by the step below it, or (below None) by the long-term keys with MFA."""

    def __init__(
        self,
        role: roles.Role,
        source: SourceProfile,
        path: tuple[roles.Role, ...],
        below: MfaSession | AssumeRole | None,
        duration: int,
        region: str,
        explicit: bool = False,
        sts: str = stsendpoint.DEFAULT,
    ) -> None:
        self.role = role
        self.source = source
        self.path = path  # every role from the source up to this one: part of what the session is
        self.below = below
        self.duration = duration
        self.region = region
        self.explicit = explicit  # the duration came from --duration: only a session of that length will do
        self.sts = sts  # the STS endpoint (the role profile's settings): part of what the cached session is
        self.top = False  # the session the login is for (only its cache hit is worth saying)
        self.label = f"the session of role profile {role.profile!r}"

    def cache_key(self) -> str:
        # What the session is: the roles, session names and external ids from the source up.
        # The source key, endpoint and length are in the entry's name as well (store.cache):
        # sessions of several lengths sit side by side, and a plain login takes the longest.
        hops = ["\0".join((r.arn, r.session_name, r.external_id or "")) for r in self.path]
        return "\0".join(("role", *hops))

    def cached(self, ctx: Context, waited: bool = False) -> Session | None:
        role, src = self.role, self.source
        key = self.cache_key()
        if ctx.folder is not None and (ctx.reuse or not self.top or waited):
            wanted = self.duration if self.explicit else None
            hit = cache.lookup(
                ctx.folder, role.profile, src.access_key_id, key, ctx.now, ctx.margin, wanted, "role", self.sts
            )
            if hit:
                if self.top:
                    ctx.hit(role.profile, hit)
                return hit
        return None

    def credentials(self, ctx: Context) -> Session:
        from mfaenv.aws import assume

        role, src = self.role, self.source
        hit = self.cached(ctx)
        if hit:
            return hit
        if self.below is not None:
            signed_by = self.below.credentials(ctx)
            via = self.below.role.profile if isinstance(self.below, AssumeRole) else None
            signer = assume.Signer(src, signed_by, self.below.label, via)
            session, arn = assume.assume_role(signer, role, self.region, self.duration, None, ctx.now)
            return self._keep(ctx, session, arn, ctx.serial, None)
        serial, _ = ctx.mfa_device()
        with ctx.one_login(serial, self.sts) as waited:  # the direct path spends a code: as MfaSession
            hit = self.cached(ctx, waited)
            if hit:
                return hit
            span = roles.span(self.duration)
            signer = assume.Signer(src, None, f"the long-term keys of profile {src.name!r}")
            (session, arn), code = ctx.with_code(
                serial,
                f" ({article(span)} {span} session of {role.profile} takes its own code)",
                lambda code: assume.assume_role(signer, role, self.region, self.duration, (serial, code), ctx.now),
            )
            why = (
                f"{article(span)} {span} role session is over the 1-hour limit for roles assumed from an MFA session, "
                f"so profile {role.profile!r} was assumed with the long-term keys of {src.name!r} and an MFA code: "
                "one code per role session"
            )
            return self._keep(ctx, session, arn, serial, (serial, code), why)

    def _keep(
        self, ctx: Context, session: Session, arn: str, serial: str | None, used: tuple[str, str] | None, why: str = ""
    ) -> Session:
        """Cache the new role session (and remember the code it spent); say what was made, if the login is for it."""
        role, src, key = self.role, self.source, self.cache_key()
        about = {
            "Kind": "role",
            "SourceProfile": src.name,
            "RoleArn": role.arn,
            "AssumedRoleArn": arn,
            "Chain": " > ".join([src.name, *(r.profile for r in self.path)]),
            "SerialNumber": serial,
            "Policy": "direct" if self.below is None else "via-mfa-session",
        }
        if ctx.folder is not None:
            folder, length = ctx.folder, self.duration
            ctx.keep(
                lambda: cache.store(
                    folder, role.profile, src.access_key_id, key, session, ctx.now, length, "role", about, self.sts
                )
            )
        if used is not None:
            ctx.used(*used)
        if self.top:
            ctx.made("role session", role.profile, session, why)
        return session


def chain(
    target: roles.Chain,
    source: SourceProfile,
    serial: str | None,
    duration: str | None,
    env: Mapping[str, str],
) -> MfaSession | AssumeRole:
    """The steps for a login to `target`, with every duration checked before any call.

    For a role, --duration is the role session's length (else duration_seconds,
    else 1 hour); MFAENV_DURATION stays the length of the MFA session below it.
    """
    by_flag = duration is not None and not target.roles
    mfa_text = duration if by_flag else env.get("MFAENV_DURATION")
    named_by = "--duration" if by_flag else "MFAENV_DURATION"
    mfa_seconds = inputs.DEFAULT_DURATION if mfa_text is None else inputs.parse_duration(mfa_text, source=named_by)
    session = MfaSession(source, serial, mfa_seconds, mfa_text, named_by, stsendpoint.sts(source.name, env))
    if not target.roles:
        session.top = True
        return session
    session.signs = target.roles[0].profile
    last = target.roles[-1]
    if duration is not None:
        seconds = roles.check_duration(inputs.parse_span(duration, "duration"), duration)
        asked = f"--duration {duration}"
    else:
        seconds = last.duration or roles.DEFAULT_ROLE_DURATION
        asked = f"duration_seconds = {seconds} of profile {last.profile!r}"
    direct = seconds > roles.CHAINED_LIMIT
    if direct and len(target.roles) > 1:
        raise MfaenvError(
            f"{asked} is over 1 hour, but profile {last.profile!r} is assumed from role profile "
            f"{target.roles[-2].profile!r} (role chaining), which AWS caps at 1 hour; ask for 1h or less"
        )
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or target.region or source.region
    step: MfaSession | AssumeRole = session
    for i, role in enumerate(target.roles):
        top = i == len(target.roles) - 1
        below = None if top and direct else step
        # A role below the top one is always signed by a session, so it is capped at 1 hour.
        length = seconds if top else min(role.duration or roles.DEFAULT_ROLE_DURATION, roles.CHAINED_LIMIT)
        explicit = top and duration is not None
        sts = stsendpoint.sts(role.profile, env)
        step = AssumeRole(role, source, target.roles[: i + 1], below, length, region, explicit, sts)
    step.top = True
    return step
