"""Profile names and values read exactly as botocore reads them (issue 19's section-name item).

Each case is a pair of odd files; mfaenv's merged profile map must equal
botocore's own Session.full_config["profiles"] over the same files, read both
whole (first call) and through the index (second call, store.index), or both
must refuse the files.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest

from mfaenv.errors import MfaenvError
from mfaenv.store import config, index, sections, views

CASES = {
    "two spaces": ("[profile  prod]\na = 1\n[profile prod]\nb = 2\n", ""),
    "two spaces last": ("[profile prod]\nb = 2\n[profile  prod]\na = 1\n", ""),
    "double quotes": ('[profile "qa"]\nregion = eu-west-1\n', "[qa]\nx = 1\n"),
    "single quotes and spaces inside": ("[profile 'my prod']\nregion = x\n[profile \"a b\"]\ny = 1\n", ""),
    "unclosed quote is skipped": ("[profile 'x]\na = 1\n[profile ok]\nb = 1\n", ""),
    "tab": ("[profile\tt]\na = 1\n[profile \t spaced \t]\nb = 1\n", ""),
    "three words are skipped": ("[profile a b]\na = 1\n[profile]\nb = 1\n[profile ]\nc = 1\n", ""),
    "profileX prefix": ("[profileX y]\nc = 1\n[profiles]\nd = 1\n", ""),
    "backslash": ("[profile a\\ b]\nz = 1\n[profile c\\d]\nw = 1\n", ""),
    "default then profile default": ("[default]\na = 1\n[profile default]\nb = 2\n", ""),
    "profile default then default": ("[profile default]\nb = 2\n[default]\na = 1\n", "[default]\nc = 3\n"),
    "case": ("[Profile Up]\na = 1\n[profile Up]\nb = 1\n[Default]\nc = 1\n[DEFAULTS]\nd = 1\n", "[Up]\nE = 1\n"),
    "spaces around the name": ("[ default ]\na = 1\n[profile x ]\nb = 1\n", "[ y ]\nc = 1\n"),
    "bracket inside": ("[profile a]b]\na = 1\n[profile c] ; not a comment\nb = 1\n", ""),
    "duplicate section": ("[profile p]\na = 1\n[profile p]\nb = 1\n", ""),
    "duplicate in credentials": ("", "[p]\na = 1\n[p]\nb = 1\n"),
    "duplicate key": ("[profile p]\na = 1\na = 2\n", ""),
    "DEFAULT reaches every section": ("[DEFAULT]\nregion = r\n[profile p]\na = 1\n[DEFAULT]\nx = 2\n", "[DEFAULT]\nk = 1\n[q]\nz = 1\n"),
    "credentials file names": ("[profile x]\na = 1\n", "[profile x]\nb = 1\n[x]\nc = 1\n[ x]\nd = 1\n"),
    "credentials over config": ("[profile m]\nregion = a\nb = 1\n", "[m]\nregion = z\n"),
    "continuation that looks like a header": (
        "[profile a]\ns3 =\n  [profile b]\n  x = 1\nregion = r\n\n  [profile c]\n[profile d]\ne = 1\n",
        "",
    ),
    "indented header after a header": ("[profile a]\n  [profile b]\nx = 1\n", ""),
    "blank lines and comments in values": ("[profile a]\nv = 1\n\n  more\n# c\n; d\n\n[profile b]\nw = 2\n", ""),
    "CR and CRLF line ends": ("[profile a]\r\nx = 1\r\n[profile b]\ry = 2\r[profile c]\nz = 3\n", ""),
    "unicode names": ("[profile prød]\nr = ü\n[profile 日本]\ns = 1\n", ""),
    "sso-session and services are not profiles": (
        "[sso-session s]\nsso_region = r\n[services dev]\nsts =\n  endpoint_url = http://x\n[profile p]\nservices = dev\n",
        "",
    ),
    "no section header": ("region = r\n[profile a]\n", ""),
    "empty files": ("", ""),
}


def _write(home: Path, cfg: str, cred: str) -> dict[str, str]:
    c, k = home / "cfg", home / "cred"
    c.write_bytes(cfg.encode())
    k.write_bytes(cred.encode())
    return {"AWS_CONFIG_FILE": str(c), "AWS_SHARED_CREDENTIALS_FILE": str(k), "MFAENV_CACHE_DIR": str(home / "cache")}


def _botocore(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object] | str:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    try:
        return botocore.session.Session().full_config["profiles"]  # type: ignore[no-any-return]
    except Exception as e:  # noqa: BLE001 - the kind of failure is what is compared
        return f"refused: {type(e).__name__}"


def _mfaenv(env: dict[str, str]) -> dict[str, object] | str:
    config._parsed.clear()  # noqa: SLF001 - a fresh process each time
    try:
        merged = config.parsed(env)[0]
        return {name: {k: sections.nested(v) for k, v in merged[name].items()} for name in merged}
    except (MfaenvError, sections.ParseError):  # ParseError: a nested block botocore refuses (mfaenv reads no nested key)
        return "refused: ConfigParseError"


@pytest.mark.parametrize("case", sorted(CASES))
def test_profiles_match_botocore(case: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "RACY_NS", -(10**18))  # write the index even for a file written just now
    env = _write(isolated, *CASES[case])
    expected = _botocore(env, monkeypatch)
    before = views.full_parses
    assert _mfaenv(env) == expected  # whole, writing the index
    assert _mfaenv(env) == expected  # through the index
    if not isinstance(expected, str) and "DEFAULT" not in case:
        # Each file with something in it was parsed once, by the first call; the second read the index.
        assert views.full_parses - before == sum(1 for text in CASES[case] if text), case


def test_unknown_profile_names_botocores_names(isolated: Path, cli: object) -> None:
    """`[profile "qa"]` is qa to botocore, so login finds it (it said "not found" before)."""
    env = _write(isolated, '[profile "qa"]\nregion = eu-west-1\n', "[qa]\naws_access_key_id = AKIAEXAMPLE0000000001\n")
    with pytest.raises(MfaenvError, match="has no aws_secret_access_key"):
        config.load_profile("qa", env)
    with pytest.raises(MfaenvError, match="not found"):
        config.load_profile('"qa"', env)


def test_two_spaces_are_not_merged(isolated: Path) -> None:
    env = _write(isolated, "[profile  prod]\nmfa_serial = arn:aws:iam::111111111111:mfa/a\n[profile prod]\nregion = r\n", "")
    assert dict(config.read_profiles(env)["prod"]) == {"region": "r"}
