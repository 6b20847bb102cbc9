"""The login flow (DESIGN.md steps 1-6): profile, serial, code, duration, STS.

Returns a Session; planning and rendering are the caller's. The steps that
make it (MFA session, role sessions) are in mfaenv.flow.steps; here is what they
share: the request, the MFA device and the one code (mfaenv.flow.mfa), the cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping

from mfaenv import inputs
from mfaenv.errors import CodeMaybeSpent, CodeRejected, MfaenvError
from mfaenv.flow import mfa, steps
from mfaenv.plan import Session
from mfaenv.status import span, until
from mfaenv.store import cachedir, devlock, keystore, roles, usedcodes
from mfaenv.store.config import SourceProfile, choose_profile, load_profile, read_profiles
from mfaenv.terminal import say

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


class LoginRequest(
    namedtuple(
        "LoginRequest",
        "profile serial token_code token_command duration fresh ask margin",
        defaults=(None, None, None, None, None, False, True, None),
    )
):
    """What the user asked for; `fresh` skips the cache.

    `ask` False: nothing is asked on the terminal (the credential server's renewals run
    beside the user's command): a code that a token command cannot give raises NeedsCode.
    `margin` (seconds) replaces MFAENV_MARGIN for the cache lookups.
    """

    __slots__ = ()

    def __repr__(self) -> str:  # the one-time code stays out of logs
        return f"LoginRequest(profile={self.profile!r}, serial={self.serial!r}, fresh={self.fresh!r})"


def login(req: LoginRequest, env: Mapping[str, str], now: dt.datetime, note: Callable[[str], None] = say) -> Session:
    """A session for the request: from the cache while enough is left, else from STS.

    For a role profile, the chain of steps (mfaenv.flow.steps) ends in the role's session.
    `note` takes what is worth saying once the command has succeeded (the caller
    decides when: a failure afterwards must still be one line).
    """
    # Check what needs no network first, so a typo costs nothing.
    code = mfa.given_code(req.token_code)
    margin = inputs.margin(env) if req.margin is None else req.margin
    target = roles.resolve(choose_profile(req.profile, env), read_profiles(env))
    profile = keystore.attach(load_profile(target.source, env))
    configured = mfa.configured_serial(req, env, target, profile)
    region = inputs.check_region(target.region, f"profile {target.target!r}") if target.region else None
    top = steps.chain(target, profile, configured, req.duration, env)
    # MFAENV_NO_CACHE=1 touches no cache file at all, used codes included: the way out of a broken cache folder.
    folder = cachedir.path(dict(env)) if env.get("MFAENV_NO_CACHE", "") in ("", "0") else None
    with contextlib.ExitStack() as stack:
        ctx = Context(req, env, now, margin, folder, target, profile, configured, code, stack)
        session = top.credentials(ctx)
    for text in ctx.notes:  # only now: a login that fails says one line, its failure
        note(text)
    return session._replace(profile=target.target, region=region)


class Context:
    """What the steps of one login share: the clock, the cache, the MFA device and the one code it may need."""

    def __init__(
        self,
        req: LoginRequest,
        env: Mapping[str, str],
        now: dt.datetime,
        margin: int,
        folder: str | None,
        target: roles.Chain,
        source: SourceProfile,
        serial: str | None,
        code: str | None,
        stack: contextlib.ExitStack,
    ) -> None:
        self.now, self.margin, self.env = now, margin, env
        self.folder = folder  # None: MFAENV_NO_CACHE, so no session cache and no used codes
        self.reuse = not req.fresh
        self.serial = serial
        self._req, self._target, self._source, self._code = req, target, source, code
        self._root = inputs.is_root_serial(serial) if serial else False
        self._terminal = mfa.Terminal(stack, req.ask)
        self._typed = False  # the code was typed at the terminal: one STS refuses may be typed again
        self.notes: list[str] = []  # said on stderr once the whole login has succeeded
        self._via = ""  # the cached MFA session that signs the new role session, for made()

    def mfa_device(self) -> tuple[str, bool]:
        """The MFA device's serial (looked up in IAM if none is configured), and whether it is root's."""
        if self.serial is None:
            self.serial, self._root = mfa.discover_serial(self._source, self._terminal, self.env, self.say)
        return self.serial, self._root

    def code(self, serial: str, why: str = "") -> str:
        """The one MFA code of this login: given, from a token command, or asked (`why` goes in the question)."""
        # A key file's passphrase (or a keyring's unlock) comes before the code, which expires.
        self._source.secret_access_key  # noqa: B018 - read for its side effect: the store is opened now
        if self._code is not None:
            mfa.refuse_reused(self.folder, serial, self._code, self.now)
            return self._code
        command = mfa.token_command(self._req, self.env, self._target, self._source)
        if command is None and not self._req.ask:
            # Named so the message says which login makes the session that is missing:
            # the role's own for a role over 1 hour (`why` is set), else the source's MFA session.
            raise mfa.NeedsCode(self._target.target if why else self._source.name)
        if command is None:
            self._code = mfa.ask_code(self._terminal, serial, self.folder, self.now, why)
            self._typed = True
        else:
            self._code = mfa.code_from_command(*command, self.env)
            mfa.refuse_reused(self.folder, serial, self._code, self.now)
        return self._code

    def with_code(self, serial: str, why: str, call: Callable[[str], T]) -> tuple[T, str]:
        """(call(code), code) with this login's code; a code STS refuses is asked again, if a person typed it."""
        while True:
            code = self.code(serial, why)
            try:
                return call(code), code
            except CodeRejected:
                if not self._typed or self._terminal.asked >= mfa.CODE_ATTEMPTS:
                    raise
                self._terminal.tell("STS rejected that code: it is wrong, or was already used; type the next one")
                self._code, self._typed = None, False
            except CodeMaybeSpent:
                self.used(serial, code)  # STS may hold it as used: this machine never sends it again
                raise

    @contextlib.contextmanager
    def one_login(self, serial: str, endpoint: str) -> Iterator[bool]:
        """One fresh login per MFA device and STS endpoint (store.stsendpoint) at a time (store.devlock);
        yields whether another came first,
        in which case the caller looks in the cache again before asking for a code."""
        if self.folder is None:
            yield False
            return
        with devlock.held(self.folder, serial, endpoint, say) as waited:
            yield waited

    def used(self, serial: str, code: str) -> None:
        """Remember a code STS accepted, so this machine never sends it again."""
        if self.folder is not None:
            self.keep(lambda: usedcodes.remember(self.folder, serial, code, self.now))

    def keep(self, write: Callable[[], None]) -> None:
        """Run a cache write: the session exists now, and a cache that cannot be written must not cost it."""
        try:
            write()
        except (OSError, MfaenvError) as e:
            warning = f"warning: could not cache the session ({getattr(e, 'strerror', None) or e}); it is not shared"
            if warning not in self.notes:
                self.notes.append(warning)

    def hit(self, name: str, session: Session, signs: str | None = None) -> None:
        """Say that a cached session answered, so nobody wonders why no code was asked."""
        left = span(int((session.expiration - self.now).total_seconds()))
        if signs is None:
            self.say(f"using the cached session for {name}, {left} left; --fresh for a new one")
        else:  # said by made(), in the line about the role session it signs for
            self._via = f"using the cached MFA session of {name}, {left} left, for a new "

    def made(self, kind: str, name: str, session: Session, why: str = "") -> None:
        """Say what STS just made, as hit() says what the cache gave: which session, until when, how long."""
        length = round((session.expiration - self.now).total_seconds() / 60) * 60
        end = f"until {until(session.expiration, self.now)} ({roles.span(max(length, 0))})"
        said = f"{self._via}{kind} of {name}, {end}; no code needed" if self._via else f"new {kind} for {name}, {end}"
        self.say(f"{why}; {said}" if why else said)

    def say(self, text: str) -> None:
        self.notes.append(text)
