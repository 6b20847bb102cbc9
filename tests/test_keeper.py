"""The credential server's pure parts: when the keeper renews, what it hands out, what the endpoint answers,
and the private config copy's [profile mfaenv-server]. No sockets, no STS: the clock and the renewal are fakes."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from mfaenv.errors import Exit, MfaenvError
from mfaenv.flow import keeper
from mfaenv.flow.endpoint import Endpoint
from mfaenv.flow.keeper import FLOOR, RENEW_AT, Keeper, Unavailable
from mfaenv.flow.mfa import NeedsCode
from mfaenv.plan import Session
from mfaenv.store.serverconfig import default_settings

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)


def session(key: str, left: float, now: dt.datetime = T0) -> Session:
    return Session(key, "secret", "token", now + dt.timedelta(seconds=left), "prod")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def make(first: Session, renew: object, clock: Clock | None = None) -> tuple[Keeper, list[str]]:
    said: list[str] = []
    return Keeper(first, renew, clock or Clock(), said.append), said  # type: ignore[arg-type]


def test_a_session_with_enough_left_is_handed_out_as_it_is() -> None:
    k, said = make(session("A", RENEW_AT + 1), lambda: pytest.fail("renewed"))
    assert k.get().access_key_id == "A" and said == []


def test_under_the_window_it_renews_once() -> None:
    clock = Clock()
    k, said = make(session("A", RENEW_AT - 1), lambda: session("B", 3600, clock.now), clock)
    assert [k.get().access_key_id for _ in range(3)] == ["B", "B", "B"]
    assert k.renewals == 1 and said == []


def test_many_threads_at_once_share_one_renewal() -> None:
    calls = []

    def slow() -> Session:
        calls.append(1)
        time.sleep(0.3)
        return session("B", 3600)

    k, _ = make(session("A", RENEW_AT - 1), slow)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(k.get().access_key_id)) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and got == ["B"] * 30


def test_sts_down_serves_the_current_session_says_so_once_and_waits_before_retrying() -> None:
    clock = Clock()
    calls = []

    def down() -> Session:
        calls.append(1)
        raise MfaenvError("STS at http://sts failed (ServiceUnavailable)", Exit.AWS)

    k, said = make(session("A", RENEW_AT - 60), down, clock)
    assert [k.get().access_key_id for _ in range(5)] == ["A"] * 5
    assert len(calls) == 1 and len(said) == 1 and "handing out the current one meanwhile" in said[0]
    clock.now += dt.timedelta(seconds=keeper.RETRY_AFTER + 1)
    assert k.get().access_key_id == "A" and len(calls) == 2 and len(said) == 1


def test_a_needed_code_fails_requests_once_the_session_is_too_short_and_a_login_elsewhere_is_picked_up() -> None:
    clock = Clock()
    cache: list[Session] = []

    def renew() -> Session:
        if cache:
            return cache[0]
        raise NeedsCode("work")

    k, said = make(session("A", FLOOR - 1), renew, clock)
    for _ in range(3):
        with pytest.raises(Unavailable, match=r"mfaenv login --fresh --profile work. in another terminal"):
            k.get()
    assert len(said) == 1
    cache.append(session("B", 12 * 3600))  # the other terminal's login, in the shared cache
    assert k.get().access_key_id == "B"  # at the next request: no wait after a needed code
    assert len(said) == 2 and "renewed" in said[1]


def test_a_renewed_session_that_is_short_is_not_renewed_on_every_request() -> None:
    clock = Clock()
    calls = []

    def short() -> Session:
        calls.append(1)
        return session(f"K{len(calls)}", 15 * 60, clock.now)  # a role with duration_seconds = 900

    k, _ = make(session("A", RENEW_AT - 1), short, clock)
    assert [k.get().access_key_id for _ in range(4)] == ["K1"] * 4
    clock.now += dt.timedelta(seconds=keeper.MIN_INTERVAL + 1)
    assert k.get().access_key_id == "K2" and len(calls) == 2


def test_the_endpoint_answers_only_the_token_on_its_path_and_host() -> None:
    e = Endpoint(lambda: session("A", 3600), "tok-en", "/p4th")
    e.port = 4242
    ok = e.answer("GET", "/p4th", ["127.0.0.1:4242"], ["tok-en"])
    assert ok[0] == 200 and set(ok[1]) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert ok[1]["Expiration"] == "2026-01-01T10:00:00Z"
    assert e.answer("GET", "/p4th", ["127.0.0.1"], ["tok-en"])[0] == 200
    assert e.answer("GET", "/p4th", ["localhost:4242"], ["tok-en"])[0] == 403
    assert e.answer("GET", "/p4th", ["127.0.0.1:4242", "127.0.0.1:4242"], ["tok-en"])[0] == 400
    assert e.answer("GET", "/p4th", ["127.0.0.1:4242"], None)[0] == 401
    assert e.answer("GET", "/p4th", ["127.0.0.1:4242"], ["tok-eN"])[0] == 403
    assert e.answer("GET", "/p4th", ["127.0.0.1:4242"], ["tok-en", "tok-en"])[0] == 403
    assert e.answer("GET", "/p4th", ["127.0.0.1:4242"], ["t\u00f6k"])[0] == 403  # not ASCII: refused, no crash
    assert e.answer("PUT", "/p4th", ["127.0.0.1:4242"], ["tok-en"])[0] == 405
    assert e.answer("GET", "/", ["127.0.0.1:4242"], ["tok-en"])[0] == 404
    assert "secret" not in str(e.answer("GET", "/", ["127.0.0.1:4242"], ["tok-en"]))


def test_the_endpoint_says_why_it_has_no_session() -> None:
    def unavailable() -> Session:
        raise Unavailable("a new session of profile 'work' needs an MFA code")

    e = Endpoint(unavailable, "t", "/p")
    status, doc = e.answer("GET", "/p", ["127.0.0.1"], ["t"])
    assert status == 500 and doc["Message"] == "mfaenv: a new session of profile 'work' needs an MFA code"


def test_the_private_profile_takes_defaults_settings_but_no_credential() -> None:
    text = (
        "[profile work]\nregion = us-west-2\n"
        "[default]\nregion = eu-west-1\naws_access_key_id = AKIA\naws_secret_access_key=x\n"
        "credential_process = evil\nrole_arn = arn\nsource_profile = work\nsso_session = s\nmfa_serial = m\n"
        "ca_bundle = /etc/corp.pem\n# a comment\ns3 =\n  max_concurrent_requests = 20\n"
        "sso_start_url =\n  https://x\nOutput = json\n"
        "[profile other]\nregion = ap-south-1\n"
    )
    assert default_settings(text) == [
        "region = eu-west-1",
        "ca_bundle = /etc/corp.pem",
        "s3 =",
        "  max_concurrent_requests = 20",
        "Output = json",
    ]
    assert default_settings("[profile default]\nregion = r\naws_session_token = t\n") == ["region = r"]
    assert default_settings("") == []


def test_a_bug_in_a_renewal_is_a_failure_like_any_other() -> None:
    def broken() -> Session:
        raise KeyError("x")

    k, said = make(session("A", RENEW_AT - 60), broken)
    assert k.get().access_key_id == "A"
    assert said == [said[0]] and "internal error (KeyError)" in said[0]


def test_nothing_asks_on_the_terminal_from_the_servers_threads() -> None:
    from mfaenv.terminal import open_tty

    seen: list[object] = []

    def look() -> None:
        with open_tty() as tty:
            seen.append(tty)

    t = threading.Thread(target=look)
    t.start()
    t.join()
    assert seen == [None]
