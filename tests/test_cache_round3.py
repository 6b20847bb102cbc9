"""The cache, round 3: sessions keyed by the STS endpoint that issued them (issue 19), sessions of
several lengths side by side, `--fresh` on a role, "an 8h", one spelling of "no cached sessions" (issue 20).

End to end against moto's STS over loopback, through tests/recorder.py (which counts the calls)
or tests/truststs.py (which enforces STS's rules for roles).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CODE, IamUser
from tests.helpers import Mfaenv
from tests.recorder import Recorder
from tests.test_roles import LONG, TRUST, config_text
from tests.truststs import TrustSts


def _entries(home: Path) -> list[dict[str, object]]:
    folder = home / ".cache" / "mfaenv" / "sessions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("[0-9a-f]*-*.json"))]


def _left(out: str) -> float:
    """Seconds left of the session a login printed (bash)."""
    return int(re.search(r"export MFAENV_EXPIRES='?(\d+)", out).group(1)) - time.time()  # type: ignore[union-attr]


# ---- issue 19: a cached session belongs to the endpoint that issued it ----


def test_a_cached_session_is_served_only_to_logins_against_its_endpoint(
    user: IamUser, mfaenv: Mfaenv, moto_server: str
) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0  # endpoint A: moto itself
    with Recorder(moto_server).running() as rec:
        other = {"AWS_ENDPOINT_URL_STS": rec.url}  # endpoint B: another URL, as an emulator beside AWS
        mfaenv.fails("login", code=2, env=other)  # A's session is no answer: a code is needed
        assert rec.actions() == []
        r = mfaenv("login", "--token-code", "700001", env=other)
        assert r.code == 0 and "using the cached session" not in r.err, r
        assert rec.actions() == ["GetSessionToken"]
        # Back to A: its session is still there; and B's answers B again, with no call.
        r = mfaenv("login")
        assert r.code == 0 and "using the cached session for default" in r.err, r
        r = mfaenv("login", env=other)
        assert r.code == 0 and "using the cached session for default" in r.err, r
        assert rec.actions() == ["GetSessionToken"]
        # The same endpoint named otherwise (AWS_ENDPOINT_URL, a trailing slash) is the same one.
        spelt = {"AWS_ENDPOINT_URL_STS": None, "AWS_ENDPOINT_URL": moto_server + "/"}
        assert "using the cached session for default" in mfaenv("login", env=spelt).err
    assert len({e["Endpoint"] for e in _entries(Path(os.environ["HOME"]))}) == 2


def test_a_profiles_endpoint_url_and_services_section_count_too(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0  # cached for moto, named by AWS_ENDPOINT_URL_STS
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS")
    config = isolated / ".aws" / "config"
    plain = config.read_text()
    with Recorder(moto_server).running() as rec:
        config.write_text(plain + f"endpoint_url = {rec.url}\n")
        mfaenv.fails("login", code=2)  # the profile names another endpoint: not moto's session
        assert mfaenv("login", "--token-code", "700001").code == 0
        assert rec.actions() == ["GetSessionToken"]  # botocore went where the profile said
        # A services section's sts endpoint wins over the profile's endpoint_url, as in botocore.
        config.write_text(plain + f"endpoint_url = {rec.url}\nservices = emu\n[services emu]\nsts =\n  endpoint_url = {moto_server}\n")
        assert "using the cached session for default" in mfaenv("login").err
        assert rec.actions() == ["GetSessionToken"]
        config.write_text(plain + "services = gone\n")
        line = mfaenv.fails("login", code=2)
        assert "sets services = gone, but the config file" in line and "has no [services gone] section" in line


CASES = {
    "the STS variable": ({"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1111", "AWS_ENDPOINT_URL": "http://127.0.0.1:2222"}, ""),
    "the global variable": ({"AWS_ENDPOINT_URL": "http://127.0.0.1:2222"}, "endpoint_url = http://127.0.0.1:3333\n"),
    "the profile's endpoint_url": ({}, "endpoint_url = HTTP://Emu.Example:3333/\n"),
    "the services section": (
        {"AWS_ENDPOINT_URL_STS": ""},
        "endpoint_url = http://127.0.0.1:3333\nservices = emu\n[services emu]\niam =\n  endpoint_url = http://x:1\n"
        "sts =\n  endpoint_url = http://127.0.0.1:4444\n",
    ),
    "a services section without sts": ({}, "services = emu\nendpoint_url = http://127.0.0.1:3333\n[services emu]\niam =\n  endpoint_url = http://x:1\n"),
    "ignored by the variable": ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1111"}, ""),
    "ignored by the profile": ({}, "ignore_configured_endpoint_urls = true\nendpoint_url = http://127.0.0.1:3333\n"),
    "the variable overrides the profile's ignore": (
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
        "ignore_configured_endpoint_urls = true\nendpoint_url = http://127.0.0.1:3333\n",
    ),
    "nothing configured": ({}, ""),
}


@pytest.mark.parametrize("case", CASES)
def test_the_endpoint_is_the_one_botocore_calls(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.session

    from mfaenv.store import stsendpoint

    env, extra = CASES[case]
    config = tmp_path / f"config-{len(extra)}"
    config.write_text(f"[profile work]\nregion = eu-west-1\n{extra}")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    client = botocore.session.Session(profile="work").create_client(
        "sts", region_name="eu-west-1", aws_access_key_id="AKIAEXAMPLEEXAMPLE", aws_secret_access_key="x"
    )
    ours = stsendpoint.sts("work", dict(os.environ))
    if client.meta.endpoint_url.endswith(".amazonaws.com"):
        assert ours == stsendpoint.DEFAULT
    else:
        assert ours == stsendpoint.normalise(client.meta.endpoint_url) != stsendpoint.DEFAULT


# ---- issue 20: sessions of several lengths side by side ----


def test_a_short_session_does_not_replace_the_days_one(
    user: IamUser, mfaenv: Mfaenv, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Recorder(moto_server).running() as rec:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rec.url)
        assert mfaenv("login", "--token-code", CODE).code == 0  # the day's 12 h
        r = mfaenv("login", "--duration", "1h", "--token-code", "700001")  # a short one for a test
        assert r.code == 0 and 3000 < _left(r.out) <= 3600, r
        assert rec.actions() == ["GetSessionToken", "GetSessionToken"]
        r = mfaenv("login")  # a new terminal: the one with the most time left
        assert r.code == 0 and _left(r.out) > 11 * 3600, r
        r = mfaenv("login", "--duration", "1h")  # the short one is still there for whoever asks for it
        assert r.code == 0 and _left(r.out) <= 3600 and "using the cached session" in r.err, r
        assert rec.actions() == ["GetSessionToken", "GetSessionToken"]
        listing = mfaenv("list").out.splitlines()
    rows = [line.split() for line in listing[1:3]]
    assert listing[0].split()[:3] == ["PROFILE", "SESSION", "LENGTH"]
    assert [(row[0], row[3]) for row in rows] == [("default", "12h"), ("default", "1h")]  # longest first


@pytest.fixture
def trust(user: IamUser, isolated: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrustSts]:
    """test_roles' profiles (work and its roles), plus a role that allows 8 h without duration_seconds."""
    (isolated / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    extra = f"\n[profile admin]\nrole_arn = {LONG}\nsource_profile = work\n"
    (isolated / ".aws" / "config").write_text(config_text(user) + extra)
    with TrustSts(moto_server, {k: dataclasses.replace(v) for k, v in TRUST.items()}).running() as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", proxy.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", proxy.url)
        yield proxy


def test_a_new_terminal_gets_the_longest_role_session(trust: TrustSts, mfaenv: Mfaenv) -> None:
    r = mfaenv("login", "--profile", "admin", "--duration", "8h", "--token-code", CODE)
    assert r.code == 0 and _left(r.out) > 7.9 * 3600, r
    r = mfaenv("login", "--profile", "admin", "--duration", "1h", "--token-code", "700001")
    assert r.code == 0 and _left(r.out) <= 3600, r
    assert trust.actions() == ["AssumeRole", "GetSessionToken", "AssumeRole"]
    r = mfaenv("login", "--profile", "admin")  # a new terminal, no code: the 8 h one
    assert r.code == 0 and _left(r.out) > 7.9 * 3600, r
    r = mfaenv("login", "--profile", "admin", "--duration", "1h")
    assert r.code == 0 and _left(r.out) <= 3600, r
    assert trust.actions() == ["AssumeRole", "GetSessionToken", "AssumeRole"]
    lines = [line.split() for line in mfaenv("list").out.splitlines() if " admin " in f" {line} "]
    assert [row[1:4] for row in lines] == [["role", LONG, "8h"], ["role", LONG, "1h"]]


# ---- issue 20: --fresh on a role renews the role session only ----


def test_fresh_on_a_role_makes_a_new_role_session_from_the_cached_mfa_session(
    trust: TrustSts, mfaenv: Mfaenv
) -> None:
    first = mfaenv("login", "--profile", "prod-admin", "--token-code", CODE)
    assert first.code == 0 and trust.actions() == ["GetSessionToken", "AssumeRole"]
    r = mfaenv("login", "--profile", "prod-admin", "--fresh")  # no code, no terminal: none is needed
    assert r.code == 0, r
    assert "using the cached MFA session of work" in r.err and "no code needed" in r.err
    assert trust.actions() == ["GetSessionToken", "AssumeRole", "AssumeRole"]  # one AssumeRole, no GetSessionToken
    key = re.compile(r"export AWS_SESSION_TOKEN='?([^';]+)")
    assert key.search(r.out).group(1) != key.search(first.out).group(1)  # type: ignore[union-attr]
    # The way --help gives to renew the MFA session too.
    assert "mfaenv login --fresh --profile SOURCE" in re.sub(r"\s+", " ", mfaenv("login", "--help").out)
    mfaenv.fails("login", "--profile", "work", "--fresh", code=2)  # that one takes a code
    assert mfaenv("login", "--profile", "work", "--fresh", "--token-code", "700001").code == 0
    assert trust.actions()[3:] == ["GetSessionToken"]


# ---- issue 20: "an 8h"; one spelling of "no cached sessions" ----


@pytest.mark.parametrize(
    ("span", "word"),
    [
        ("8h", "an"), ("11h", "an"), ("18m", "an"), ("80m", "an"), ("89m", "an"), ("800m", "an"),
        ("1h", "a"), ("1h30m", "a"), ("2h", "a"), ("12h", "a"), ("45m", "a"), ("110m", "a"),
        ("1800", "a"), ("11000", "an"), ("18000", "an"), ("<1m", "a"), ("", "a"),
    ],
)
def test_article(span: str, word: str) -> None:
    from mfaenv.status import article

    assert article(span) == word


def test_an_8h_session_is_an_8h_one(trust: TrustSts, mfaenv: Mfaenv) -> None:
    r = mfaenv("login", "--profile", "long-admin", "--token-code", CODE)  # duration_seconds = 28800
    assert r.code == 0, r
    assert "mfaenv: an 8h role session is over the 1-hour limit for roles assumed from an MFA session" in r.err, r


def test_no_cached_sessions_is_said_one_way(user: IamUser, mfaenv: Mfaenv) -> None:
    assert mfaenv("list").out.splitlines()[0] == "no cached sessions"
    assert mfaenv("clear").err == "mfaenv: no cached sessions\n"
    assert mfaenv("clear", "default").err == "mfaenv: no cached sessions of profile default\n"
    r = mfaenv("logout", "--forget", "--profile", "default")
    assert r.err == "mfaenv: no cached sessions of profile default\n", r
    assert mfaenv("login", "--token-code", CODE).code == 0
    assert mfaenv("login", "--duration", "2h", "--token-code", "700001").code == 0
    assert mfaenv("clear").err == "mfaenv: removed 2 cached sessions\n"


# ---- entries of the older format ----


def test_an_entry_of_the_older_format_is_never_used_and_goes_cleanly(
    user: IamUser, mfaenv: Mfaenv, isolated: Path
) -> None:
    import hashlib

    from mfaenv.store import cache

    assert mfaenv("login", "--token-code", CODE).code == 0
    folder = isolated / ".cache" / "mfaenv" / "sessions"
    (path,) = folder.glob("[0-9a-f]*-*.json")
    doc = json.loads(path.read_text())
    # As the previous version wrote it: no endpoint, named by profile, key and serial alone.
    old = {k: v for k, v in doc.items() if k not in ("Endpoint", "For")} | {"Version": 1}
    digest = hashlib.sha256(user.serial.encode()).hexdigest()[:24]
    legacy = folder / f"{cache.prefix('default', user.key_id)}-{digest}.json"
    path.unlink()
    legacy.write_text(json.dumps(old))
    legacy.chmod(0o600)
    mfaenv.fails("login", code=2)  # whoever issued it is unknown: it answers no login
    assert f"{legacy.name}: made by an older mfaenv, never used" in mfaenv("list").out
    assert mfaenv("login", "--token-code", "700001").code == 0
    assert not legacy.exists() and len(_entries(isolated)) == 1  # the next write dropped it


def test_cleanup_finds_every_entry_of_a_profile_and_key(tmp_path: Path) -> None:
    from mfaenv.plan import Session
    from mfaenv.store import cache, cleanup

    now = dt.datetime.now(dt.timezone.utc)
    session = Session("ASIAEXAMPLEEXAMPLE", "secret", "token", now + dt.timedelta(hours=2), "work")
    base = str(tmp_path / "cache")
    for key in ("AKIAOLDOLDOLDOLD1234", "AKIANEWNEWNEWNEW5678"):
        for length, where in ((43200, "aws"), (3600, "aws"), (3600, "http://127.0.0.1:1")):
            cache.store(base, "work", key, "arn:aws:iam::1:mfa/a", session, now, length, endpoint=where)
        about = {"Kind": "role", "SourceProfile": "work", "SerialNumber": "arn:aws:iam::1:mfa/a"}
        cache.store(base, "admin", key, "role\0arn", session, now, 3600, "role", about)
        cache.store(base, "admin", key, "role\0arn", session, now, 28800, "role", about)
    assert len(cache.entries(base, now)) == 10
    assert cleanup.forget_key(base, "work", "AKIAOLDOLDOLDOLD1234") == 5  # rotate: the old key's, roles' too
    assert cleanup.forget(base, "admin") == 2  # logout --forget of the role
    assert cleanup.clear(base, "work") == 3
    assert cache.entries(base, now) == []
