"""Keeps a session good enough to hand out to SDKs, renewing it before they would ask; one renewal at a time.

SDKs refresh container credentials 15 minutes before they end (botocore: advisory
at 15 min, mandatory at 10) and ask again on every call while less is left. So
the credential server hands out a session with more than RENEW_AT left, renewing
it through the login flow when less is left: from the cache (a login in another
terminal is picked up there), else one AssumeRole from the cached MFA session,
else the profile's token command; never a question on the terminal.

A renewal that fails leaves the current session in use while it has more than
FLOOR left (the SDKs keep working; one line on stderr says why and what to do);
below that, requests fail with the reason. The clock and the renewal are passed
in, so every rule here is a plain test away.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from mfaenv.errors import MfaenvError
from mfaenv.flow.mfa import NeedsCode
from mfaenv.plan import Session

#: Renew once this little is left: above the SDKs' 15 minutes, by less than a
#: 16-minute session has, so such a session is handed out before it is renewed.
RENEW_AT = 15 * 60 + 30
#: Below this a session is not handed out even when it cannot be renewed: it could end mid-call.
FLOOR = 2 * 60
#: After STS failed (down, throttled), the next renewal waits this long: requests do not each wait for it.
RETRY_AFTER = 15
#: A session that comes back already under RENEW_AT (a role of 15 minutes) is not renewed again before this.
MIN_INTERVAL = 30
#: A request waits this long for a renewal under way before it takes the current (still usable) session:
#: under the JS SDK v3's timeout for the endpoint (1 s, no retry; botocore's is 2 s).
WAIT = 0.5


class Unavailable(Exception):
    """No session can be handed out; the message says why and what to do (it holds no secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Keeper:
    """The session to hand out. get() is safe from many threads at once; they share one renewal."""

    def __init__(
        self,
        first: Session,
        renew: Callable[[], Session],
        clock: Callable[[], dt.datetime],
        say: Callable[[str], None],
    ) -> None:
        self._session = first
        self._renew = renew
        self._clock = clock
        self._say = say
        self._lock = threading.Lock()
        self._quiet_until: dt.datetime | None = None  # no renewal before this
        self._problem: str | None = None  # why the last renewal failed (said once, until one succeeds)
        self.renewals = 0

    def left(self, session: Session, now: dt.datetime | None = None) -> float:
        if session.expiration is None:
            return 0.0
        return (session.expiration - (now or self._clock())).total_seconds()

    def get(self) -> Session:
        """A session with more than RENEW_AT left, or the current one while it is usable; else Unavailable."""
        current = self._session  # one read: another thread may swap it
        left = self.left(current)
        if left > RENEW_AT:
            return current
        if left <= FLOOR:  # nothing to hand out meanwhile: wait for the renewal's outcome
            with self._lock:
                return self._renewed()
        # A usable session: the renewal runs beside the request, which waits for it at most WAIT,
        # so an STS that hangs does not outlast the SDK's own timeout (even for the request that renews).
        if self._lock.acquire(blocking=False):
            threading.Thread(target=self._renew_beside, name="mfaenv-renewal", daemon=True).start()
        if self._lock.acquire(timeout=WAIT):
            self._lock.release()
        return self._session  # the renewed one, else still the current one (only a usable one replaces it)

    def _renew_beside(self) -> None:
        try:
            self._renewed()
        except Unavailable:
            pass  # a renewed session too short to use: the current one is still handed out
        finally:
            self._lock.release()

    def _renewed(self) -> Session:
        now = self._clock()
        current = self._session
        left = self.left(current, now)
        if left > RENEW_AT:  # renewed by the request this one waited for
            return current
        if self._quiet_until is not None and now < self._quiet_until:
            return self._fallback(current, left)
        try:
            new = self._renew()
        except Exception as e:  # noqa: BLE001 - a bug must not kill the endpoint: it says so, as any failure
            ours = isinstance(e, MfaenvError)
            # Only a needed code is retried at once: the login it waits for costs no STS call to look for.
            # Any other failure (STS down, or denying: a changed trust policy) waits, or each request
            # (botocore asks on every call in the last 15 minutes) would make its own AssumeRole.
            wait = not isinstance(e, NeedsCode)
            self._quiet_until = now + dt.timedelta(seconds=RETRY_AFTER) if wait else None
            why = e.message if ours else f"an internal error ({type(e).__name__}); please report it"
            self._failed(why, current, left)
            return self._fallback(current, left)
        self.renewals += 1
        if self._problem is not None:
            self._say(f"renewed the session of profile {new.profile!r}; handing out the new one")
        self._problem = None
        new_left = self.left(new)
        if new_left <= RENEW_AT:
            self._quiet_until = now + dt.timedelta(seconds=MIN_INTERVAL)
        if new_left <= FLOOR:
            self._problem = f"the renewed session of profile {new.profile!r} has only {int(new_left)} s left"
            raise Unavailable(self._problem)
        self._session = new
        return new

    def _failed(self, message: str, current: Session, left: float) -> None:
        if message == self._problem:
            return  # said already
        self._problem = message
        if left > FLOOR:
            ends = current.expiration.astimezone(dt.timezone.utc) if current.expiration else None
            until = f", which ends at {ends:%H:%M} UTC" if ends else ""
            self._say(f"could not renew the session: {message}; handing out the current one meanwhile{until}")
        else:
            self._say(f"could not renew the session: {message}")

    def _fallback(self, current: Session, left: float) -> Session:
        if left > FLOOR:
            return current
        raise Unavailable(self._problem or "the session has ended and could not be renewed")
