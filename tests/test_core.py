"""The pure core: planning the change, rendering it, checking inputs."""

from __future__ import annotations

import datetime as dt

import pytest

from mfaenv import inputs, plan, shells
from mfaenv.errors import MfaenvError, UnrepresentableValue
from mfaenv.plan import MOVED_ASIDE, SESSION_VARS, STALE_VARS, EnvChange, Session, plan_login, plan_logout

EXP = dt.datetime(2026, 11, 28, 15, 47, 6, 602159, tzinfo=dt.timezone.utc)
SESSION = Session("ASIAKEY", "sec'ret", "tok$en", EXP, "work")


def test_login_unsets_every_stale_variable_and_sets_the_session() -> None:
    change = plan_login(SESSION, {})
    assert set(STALE_VARS) | set(MOVED_ASIDE) <= set(change.unset)
    assert dict(change.set) == {
        "AWS_ACCESS_KEY_ID": "ASIAKEY",
        "AWS_SECRET_ACCESS_KEY": "sec'ret",
        "AWS_SESSION_TOKEN": "tok$en",
        "AWS_CREDENTIAL_EXPIRATION": "2026-11-28T15:47:06Z",
        "MFAENV_PROFILE": "work",
        "MFAENV_EXPIRES": str(int(EXP.timestamp())),
    }
    assert not set(change.unset) & {k for k, _ in change.set}


def test_missing_values_are_unset_not_skipped() -> None:
    change = plan_login(Session("AKIA", "s", None, None, ""), {})
    for name in ("AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "MFAENV_EXPIRES", "MFAENV_PROFILE"):
        assert name in change.unset


def test_profile_moved_aside_and_kept_across_logins() -> None:
    first = plan_login(SESSION, {"AWS_PROFILE": "work", "AWS_DEFAULT_PROFILE": "old"})
    assert ("MFAENV_SAVED_AWS_PROFILE", "work") in first.set and "AWS_PROFILE" in first.unset
    env_after = dict(first.set)
    second = plan_login(SESSION, env_after)
    assert ("MFAENV_SAVED_AWS_PROFILE", "work") in second.set
    assert ("MFAENV_SAVED_AWS_DEFAULT_PROFILE", "old") in second.set


def test_logout_restores_and_removes_exactly_what_login_set() -> None:
    env = dict(plan_login(SESSION, {"AWS_PROFILE": "work"}).set)
    change = plan_logout(env)
    assert set(SESSION_VARS) <= set(change.unset)
    assert dict(change.set) == {"AWS_PROFILE": "work"}
    assert "AWS_REGION" not in change.unset


def test_logout_keeps_a_profile_chosen_after_login() -> None:
    env = {**dict(plan_login(SESSION, {"AWS_PROFILE": "work"}).set), "AWS_PROFILE": "mine"}
    change = plan_logout(env)
    assert "AWS_PROFILE" not in change.unset and not change.set


def test_logout_without_a_session_touches_nothing() -> None:
    assert plan_logout({"AWS_ACCESS_KEY_ID": "set by someone else"}) == EnvChange()


def test_session_repr_hides_secrets() -> None:
    assert "sec'ret" not in repr(SESSION) and "tok$en" not in repr(SESSION)


CHANGE = EnvChange(unset=("OLD",), set=(("K", "it's $x"),))


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("bash", "unset OLD;\nexport K=\"$(command printf 'it\\047s \\044x')\";\n"),
        ("fish", "if set -q -g OLD; set -e -g OLD; end;\nset -gx K 'it'\\x27's '\\x24'x';\n"),
        ("tcsh", "unsetenv OLD;\nsetenv K \"`printf 'it\\047s \\044x'`\";\n"),
        ("elvish", 'unset-env OLD;\nset-env K "it\\x27s \\x24x";\n'),
        (
            "xonsh",
            "([__xonsh__.env.pop(n, None) for n in ('OLD', )], __xonsh__.env.update({'K': 'it\\x27s \\x24x'}))\n",
        ),
        ("nu", '{\n"OLD": null,\n"K": "it\\u0027s \\u0024x"\n}\n'),
    ],
)
def test_render_exact(shell: str, expected: str) -> None:
    assert shells.lookup(shell).render(CHANGE) == expected  # type: ignore[union-attr]


#: An STS-shaped session: every value PLAIN, so every shell prints it as is, in single quotes.
STS_CHANGE = EnvChange(
    set=(("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/="), ("MFAENV_PROFILE", "work-2.eu_west:a@b c"))
)


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("bash", "export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/=';\n"),
        ("fish", "set -gx AWS_SESSION_TOKEN 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/=';\n"),
        ("tcsh", "setenv AWS_SESSION_TOKEN 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/=';\n"),
        ("elvish", "set-env AWS_SESSION_TOKEN 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/=';\n"),
        ("pwsh", "$Env:AWS_SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/=';\n"),
        ("cmd", 'set "AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+/="\n'),
    ],
)
def test_sts_values_stay_on_the_plain_path(shell: str, expected: str) -> None:
    out = shells.lookup(shell).render(STS_CHANGE)  # type: ignore[union-attr]
    assert out.startswith(expected) and "work-2.eu_west:a@b c" in out


def test_posix_keeps_a_trailing_line_break() -> None:
    # `$(...)` drops trailing newlines: printf prints a `_` more, and the next statement cuts it.
    posix = shells.lookup("bash")
    assert posix is not None
    assert posix.render(EnvChange(set=(("K", "a\n"),))) == 'export K="$(command printf \'a\\012\\137\')"; K="${K%_}";\n'
    # A value that really ends in `_` writes it as is, and nothing is cut.
    assert posix.render(EnvChange(set=(("K", "a\n_"),))) == "export K=\"$(command printf 'a\\012_')\";\n"
    # A leading `-` would be an option to printf.
    assert posix.quote("-$") == "\"$(command printf '\\055\\044')\""


@pytest.mark.parametrize("value", ["a\u2019b", "\u4e01", "\U0001f642", "'\"$`\\!%^&;|<>()[]{}#~*?\t\n\r\x1b\x7f"])
def test_every_renderer_writes_ascii(value: str) -> None:
    for name in ("bash", "fish", "elvish", "nu", "pwsh", "xonsh"):
        out = shells.lookup(name).render(EnvChange(set=(("K", value),)))  # type: ignore[union-attr]
        assert out.isascii(), (name, out)
    if "\n" not in value and "\r" not in value:
        assert shells.lookup("tcsh").render(EnvChange(set=(("K", value),))).isascii()  # type: ignore[union-attr]


def test_tcsh_prints_history_characters_and_refuses_newlines() -> None:
    tcsh = shells.lookup("tcsh")
    assert tcsh is not None
    # No backslash: under Shift_JIS tcsh reads it as a yen sign, and `\!` expanded history.
    assert tcsh.render(EnvChange(set=(("K", "a!b"),))) == "setenv K \"`printf 'a\\041b'`\";\n"
    with pytest.raises(UnrepresentableValue):
        tcsh.render(EnvChange(set=(("K", "a\nb"),)))


@pytest.mark.parametrize("name", ["1X", "A-B", "A B", "", "A;rm"])
def test_bad_names_refused_everywhere(name: str) -> None:
    for shell in {type(s) for s in map(shells.lookup, shells.names())}:
        with pytest.raises(UnrepresentableValue):
            shell().render(EnvChange(set=((name, "v"),)))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("900", 900), ("15m", 900), ("12h", 43200), ("1d12h", 129600), ("1h30m", 5400), ("36h", 129600), (" 2H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert inputs.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["899", "14m", "1d12h1s", "2d", "h", "1.5h", "-1h", "12 h", "1m1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(MfaenvError):
        inputs.parse_duration(text)


def test_root_duration_limit() -> None:
    assert inputs.parse_duration("1h", root=True) == 3600
    with pytest.raises(MfaenvError, match="900-3600 s .* for the root user"):
        inputs.parse_duration("2h", root=True)


def test_codes() -> None:
    assert inputs.check_code(" 123 456 ") == "123456"
    assert inputs.check_code("12345") is None and inputs.check_code("1234567") is None
    assert inputs.code_in_output("account 123456789012\nCode: 042133\n") == "042133"
    assert inputs.code_in_output("1234567") is None


def test_root_detection() -> None:
    assert inputs.is_root_arn("arn:aws:iam::123456789012:root")
    assert not inputs.is_root_arn("arn:aws:iam::123456789012:user/root")
    assert inputs.is_root_serial("arn:aws:iam::123456789012:mfa/root-account-mfa-device")


def _region_after(
    env: dict[str, str], region: str | None = None, profile_region: str | None = "eu-west-1"
) -> dict[str, str]:
    s = Session("ASIAEXAMPLEEXAMPLE12", "secret", "token", None, "work", profile_region)
    return plan.apply(plan.plan_login(s, env, region), env)


def test_login_sets_the_profile_region_unless_the_shell_has_one() -> None:
    after = _region_after({})
    assert (after["AWS_REGION"], after["AWS_DEFAULT_REGION"], after["MFAENV_REGION"]) == ("eu-west-1",) * 3
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        after = _region_after({var: "ap-south-1"})
        assert after[var] == "ap-south-1" and "MFAENV_REGION" not in after
        assert len([v for v in ("AWS_REGION", "AWS_DEFAULT_REGION") if v in after]) == 1
    assert "AWS_REGION" not in _region_after({}, profile_region=None)


def test_a_second_login_replaces_our_region_and_logout_restores_the_users() -> None:
    first = _region_after({"AWS_REGION": "us-west-2"}, region="ca-central-1")
    assert first["AWS_REGION"] == "ca-central-1" and first["MFAENV_SAVED_AWS_REGION"] == "us-west-2"
    # A second login for a profile in another region: ours is replaced, the user's stays saved.
    second = _region_after(first, profile_region="sa-east-1")
    assert (second["AWS_REGION"], second["MFAENV_SAVED_AWS_REGION"]) == ("sa-east-1", "us-west-2")
    after = plan.apply(plan.plan_logout(second), second)
    assert after.get("AWS_REGION") == "us-west-2" and "AWS_DEFAULT_REGION" not in after
    assert not [k for k in after if k.startswith("MFAENV_")]
    # A region the user changed after login is theirs: logout keeps it.
    changed = {**_region_after({}), "AWS_REGION": "me-south-1"}
    assert plan.apply(plan.plan_logout(changed), changed)["AWS_REGION"] == "me-south-1"
    # A login from a profile without region removes the region an earlier login set.
    assert "AWS_REGION" not in _region_after(_region_after({}), profile_region=None)
