"""Values survive every real shell exactly, and nothing in them runs.

Batches: one shell process evaluates many statements (distinct names) and one
child dumps them all, so thousands of values cost seconds, not minutes.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfaenv import shells
from mfaenv.errors import UnrepresentableValue
from mfaenv.plan import EnvChange
from tests.realshells import LOCALES, SHELLS, TRIED, evaluate, locale_env

# Values that break naive quoting somewhere; several would run a command
# (creating a file in the shell's cwd) if they escaped their quotes.
NASTY = [
    "",
    " ",
    "plain",
    "two words",
    "  lead and trail  ",
    "'",
    "''",
    '"',
    '""',
    "'\"'",
    "a'b\"c",
    "\\",
    "\\\\",
    "a\\b",
    "a\\\\b",
    "trailing\\",
    "trailing\\\\",
    "\\'",
    '\\"',
    "$HOME",
    "${HOME}",
    "$",
    "$$",
    "$?",
    "$(touch pwned1)",
    "`touch pwned2`",
    "$(touch pwned3)`touch pwned4`",
    "'; touch pwned5; '",
    '"; touch pwned6; "',
    "\\'; touch pwned7; #",
    "(touch pwned8)",
    "{touch pwned9}",
    "@(touch pwned10)",
    "$[touch pwned11]",
    "${touch pwned12}",
    "%(touch pwned13)",
    "&& touch pwned14",
    "| touch pwned15",
    "; touch pwned16",
    "\ntouch pwned17\n",
    "'\ntouch pwned18\n'",
    "\u2019; touch pwned19; \u2019",
    "\u2018$(touch pwned20)\u2018",
    "`",
    "!",
    "!!",
    "!$",
    "a!b",
    "!ls",
    "\\!",
    "%PATH%",
    "%",
    "%%",
    "^",
    "^&",
    "&",
    "|",
    ";",
    "<",
    ">",
    "*",
    "?",
    "[a]",
    "{a,b}",
    "~",
    "~root",
    "#",
    "a#b",
    " #x",
    "-",
    "--",
    "-e",
    "-n",
    "=",
    "a=b",
    "=0",  # zsh: `=cmd` expansion at the start of a value (found by hypothesis)
    "=ls",
    "a:=ls",  # ... and after a colon in an assignment
    ":=ls",
    "a:~root",
    "\n",
    "a\nb",
    "trailing\n",
    "\n\n",
    "\t",
    "a\tb",
    "\r",
    "a\r\nb",
    "\x01",
    "\x1b[31mred",
    "\x7f",
    "é",
    "日本語",
    "🙂",
    "\u2018",
    "\u2019",
    "\u201a",
    "\u201b",
    "\u2028",
    "\ufeff",
    "\u00a0",
    "$'x'",
    '$"x"',
    "{x}",
    "$x",
    "(x)",
    "[x]",
    "\\n",
    "\\t",
    "\\x41",
    "\\u0041",
    "%s%n",
    "{}",
    "${}",
    "#{x}",
    "AQoDYXdzEJr//////////wEaDM+/=",
    "2026-11-28T15:47:06Z",
    "arn:aws:iam::123456789012:mfa/a.b@c-d_e",
    # Multibyte locales: each UTF-8 sequence here ends in a byte that GBK,
    # Big5 and Shift_JIS read as the first half of a character, which takes
    # the next byte (a backslash, a quote) as its second half.
    "\u4e01'; touch pwned21 #",  # the fish renderer's `\'` under GBK
    "\u4e01\\'; touch pwned22 #",
    "\u30bd'; touch pwned23 #",  # Shift_JIS 83 5C
    "\u8a31'; touch pwned24 #",  # Big5 B3 5C
    "\u4e01!touch",  # tcsh's `\!`
    "\u4e01\\",
    "\u4e011'",  # GB18030 takes digits as the second and fourth bytes
    # Windows code pages: CP1252 reads the bytes of `ё` (D1 91) as `Ñ‘`, a PowerShell quote.
    "\u0451",
    "\u0442\u0451'; touch pwned25 #",
    # cmd runs each line `for /f` gives it; `&` and `|` join commands there.
    "& echo x> pwned26 &",
    "\r\necho x> pwned27\r\n",
    "%COMSPEC% /c echo x> pwned28",
]

# Everything a value can hold: any Unicode scalar except NUL (no environment can hold it).
CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
VALUE = st.text(CHAR, max_size=30)
#: What quoting trips on, drawn often: VALUE alone rarely puts a backslash
#: right after a CJK character, or a payload after a stray quote.
SPECIAL = st.sampled_from(list("'\"\\$`!%^&|;#()[]{}<>*?~= \t\n\r") + ["\u4e01", "\u30bd", "\u0451", "\u2019"])
HOSTILE = st.lists(st.one_of(st.sampled_from(NASTY), SPECIAL, CHAR), max_size=8).map("".join)


def representable(shell: str, value: str) -> bool:
    try:
        shells.lookup(shell).render(EnvChange(set=(("X", value),)))  # type: ignore[union-attr]
    except UnrepresentableValue:
        return False
    return True


def round_trip(shell: str, values: list[str], tmp: Path, extra_env: dict[str, str] | None = None) -> None:
    names = [f"MFAENV_T{i}" for i in range(len(values))]
    change = EnvChange(unset=("MFAENV_STALE",), set=tuple(zip(names, values)))
    script = tmp / "statements.txt"
    script.write_bytes(shells.lookup(shell).render(change).encode())  # type: ignore[union-attr]
    cwd = tmp / "cwd"
    cwd.mkdir(exist_ok=True)
    env = {**os.environ, "MFAENV_STALE": "stale", **(extra_env or {})}
    got, err = evaluate(shell, f"cat {script}", cwd, env)
    assert list(cwd.iterdir()) == [], f"a value ran a command in {shell}"
    assert "MFAENV_STALE" not in got
    mismatched = [(v, got.get(n)) for n, v in zip(names, values) if got.get(n) != v]
    assert mismatched == [], f"{shell} changed {len(mismatched)} values, e.g. {mismatched[:3]}; stderr {err[-500:]}"


@pytest.mark.parametrize("shell", SHELLS)
def test_nasty_values_round_trip(shell: str, tmp_path: Path) -> None:
    values = [v for v in NASTY if representable(shell, v)]
    assert len(values) >= len(NASTY) - 12  # only line breaks are refused (tcsh)
    round_trip(shell, values, tmp_path)


#: Values per shell for the generated round trip: a few hundred by default,
#: 10,000 in CI (.ci/run sets MFAENV_VALUES_PER_SHELL).
TARGET = int(os.environ.get("MFAENV_VALUES_PER_SHELL", "300"))
BATCH = 100


@pytest.mark.parametrize("shell", SHELLS)
def test_generated_values_round_trip(shell: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    examples = max(3, math.ceil(TARGET / (BATCH * 0.9)))  # a few values per batch may be unrepresentable (tcsh)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(VALUE, min_size=BATCH, max_size=BATCH))
    def check(values: list[str]) -> None:
        kept = [v for v in values if representable(shell, v)]
        round_trip(shell, kept, tmp_path_factory.mktemp(shell))
        TRIED[shell] = TRIED.get(shell, 0) + len(kept)

    check()
    assert TRIED.get(shell, 0) >= TARGET, f"only {TRIED.get(shell)} values tried in {shell}"


#: Generated values per shell and locale (200 locally, 500 in CI), in batches of BATCH.
LOCALE_TARGET = max(200, TARGET // 20)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("shell", SHELLS)
def test_values_round_trip_in_every_locale(shell: str, locale: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same output, read under GBK, GB18030, Big5, Shift_JIS and UTF-8, sets the same bytes.

    Every shell runs, not only those that read their input in the locale's
    charset (fish, tcsh, bash, zsh, ksh, xonsh: Python encodes the environment
    with it); elvish and nu always read UTF-8, and dash reads bytes.
    """
    env = locale_env(locale)
    round_trip(shell, [v for v in NASTY if representable(shell, v)], tmp_path_factory.mktemp(shell), env)
    tried = 0

    @settings(max_examples=math.ceil(LOCALE_TARGET / BATCH), deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.one_of(HOSTILE, VALUE), min_size=BATCH, max_size=BATCH))
    def check(values: list[str]) -> None:
        nonlocal tried
        kept = [v for v in values if representable(shell, v)]
        round_trip(shell, kept, tmp_path_factory.mktemp(shell), env)
        tried += len(kept)

    check()
    TRIED[f"{shell}@{locale}"] = tried


def _export_round_trip(shell: str, key: str, secret: str, token: str, tmp: Path) -> None:
    import json
    import os

    from tests.helpers import MFAENV

    doc = tmp / "sts.json"
    expiration = "2099-01-02T03:04:05Z"
    doc.write_text(
        json.dumps(
            {
                "Credentials": {
                    "AccessKeyId": key,
                    "SecretAccessKey": secret,
                    "SessionToken": token,
                    "Expiration": expiration,
                }
            }
        )
    )
    cwd = tmp / "cwd"
    cwd.mkdir(exist_ok=True)
    env = {**os.environ, "AWS_SECURITY_TOKEN": "stale", "AWS_PROFILE": "p"}
    got, _ = evaluate(shell, f"{' '.join(MFAENV)} export --shell {shell} {doc}", cwd, env)
    assert list(cwd.iterdir()) == [], f"a value ran a command in {shell}"
    assert (got.get("AWS_ACCESS_KEY_ID"), got.get("AWS_SECRET_ACCESS_KEY"), got.get("AWS_SESSION_TOKEN")) == (
        key,
        secret,
        token,
    )
    assert got["AWS_CREDENTIAL_EXPIRATION"] == expiration and "AWS_SECURITY_TOKEN" not in got
    assert "AWS_PROFILE" not in got and got["MFAENV_SAVED_AWS_PROFILE"] == "p"


@pytest.mark.parametrize("shell", SHELLS)
def test_export_end_to_end(shell: str, tmp_path: Path) -> None:
    """The real `mfaenv export` with hostile values, evaluated the user's way."""
    values = [v for v in NASTY if v and representable(shell, v)]
    third = len(values) // 3
    _export_round_trip(
        shell, "".join(values[:third]), "".join(values[third : 2 * third]), "".join(values[2 * third :]), tmp_path
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_export_end_to_end_generated(shell: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    nonempty = VALUE.filter(lambda v: v != "" and representable(shell, v))

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(nonempty, nonempty, nonempty)
    def check(key: str, secret: str, token: str) -> None:
        _export_round_trip(shell, key, secret, token, tmp_path_factory.mktemp(shell))

    check()


def test_xonsh_output_cut_short_applies_nothing(tmp_path: Path) -> None:
    # xonsh's `$(...)` may lose output; under `exec`, whatever part of ours
    # arrives is a syntax error: no partial change, nothing run.
    from tests.realshells import require

    require("xonsh")
    change = EnvChange(unset=("MFAENV_STALE",), set=tuple((f"MFAENV_T{i}", v) for i, v in enumerate(NASTY[:45])))
    text = shells.lookup("xonsh").render(change)  # type: ignore[union-attr]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "out.txt").write_text(text)
    script = (
        "text = open('out.txt').read()\n"
        "before = dict(__xonsh__.env.detype())\n"
        "partial = other = 0\n"
        "for cut in range(len(text.rstrip())):\n"
        "    try:\n"
        "        exec(text[:cut])\n"
        "    except SyntaxError:\n"
        "        pass\n"
        "    except Exception:\n"
        "        other += 1\n"
        "    if dict(__xonsh__.env.detype()) != before:\n"
        "        partial += 1\n"
        "print('cuts=%d partial=%d other=%d' % (len(text.rstrip()), partial, other))\n"
        "exec(text)\n"
        "print('whole=%s' % (__xonsh__.env.get('MFAENV_T2') == 'plain' and 'MFAENV_STALE' not in __xonsh__.env))\n"
    )
    env = {**os.environ, "MFAENV_STALE": "stale"}
    p = subprocess.run(["xonsh", "--no-rc", "-c", script], capture_output=True, text=True, env=env, cwd=cwd)
    assert re.search(r"cuts=[0-9]{3,} partial=0 other=0\n", p.stdout) and "whole=True" in p.stdout, p
    assert sorted(f.name for f in cwd.iterdir()) == ["out.txt"]  # no payload ran
