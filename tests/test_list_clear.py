"""`mfaenv list` and `mfaenv clear`: the cached sessions at a glance, from the cache alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import CODE, IamUser, make_user
from tests.helpers import Mfaenv


def _sessions(home: Path) -> Path:
    return home / ".cache" / "mfaenv" / "sessions"


def _entries(home: Path) -> list[Path]:
    return sorted(p for p in _sessions(home).iterdir() if re.fullmatch(r"[0-9a-f]{24}-[0-9a-f]{24}\.json", p.name))


def test_list_shows_every_session_and_the_one_this_shell_holds(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, moto_server: str
) -> None:
    other = make_user(moto_server)
    with (isolated / ".aws" / "credentials").open("a") as f:
        f.write(f"[prod]\naws_access_key_id = {other.key_id}\naws_secret_access_key = {other.secret}\n")
    with (isolated / ".aws" / "config").open("a") as f:
        f.write(f"[profile prod]\nmfa_serial = {other.serial}\n")
        # A profile whose keys `mfaenv add` put in a store: only its marker is on disk.
        f.write("[profile vault]\nmfaenv_keyring = AKIAVAULTVAULTWXYZ\nmfaenv_keyring_backend = file\n")
    first = mfaenv("login", "--token-code", CODE)
    assert mfaenv("login", "--profile", "prod", "--token-code", "700001", "--duration", "2h").code == 0
    held = dict(re.findall(r"export (AWS_ACCESS_KEY_ID|MFAENV_EXPIRES)='(\w+)'", first.out))
    r = mfaenv("list", env=held)
    assert r.code == 0, r
    sessions, keys = r.out.split("\n\n")
    lines = sessions.splitlines()
    assert lines[0].split() == ["PROFILE", "SESSION", "LENGTH", "KEY", "ENDS", "(UTC)", "LEFT"]
    rows = {line.split()[1] if line.startswith("*") else line.split()[0]: line for line in lines[1:-1]}
    assert rows["default"].startswith("*") and f"MFA {user.serial}" in rows["default"]
    assert f"{user.key_id[:4]}...{user.key_id[-4:]}" in rows["default"]
    assert re.search(r"1[12]h\d\dm$", rows["default"])
    assert not rows["prod"].startswith("*") and re.search(r"[12]h\d\dm$|\b\d+m$", rows["prod"])
    assert lines[-1] == "* the session this shell holds"
    # Where each profile's long-term keys live.
    assert [line.split(None, 2) for line in keys.splitlines()] == [
        ["PROFILE", "LONG-TERM", "KEY  KEPT IN"],
        ["default", f"{user.key_id[:4]}...{user.key_id[-4:]}", "credentials file"],
        ["prod", f"{other.key_id[:4]}...{other.key_id[-4:]}", "credentials file"],
        ["vault", "AKIA...WXYZ", "encrypted file"],
    ]
    for secret in (user.secret, other.secret):
        assert secret not in r.out
    doc = json.loads(mfaenv("list", "--json").out)
    assert sorted(d["profile"] for d in doc["sessions"]) == ["default", "prod"]
    assert all(
        set(d) >= {"profile", "serial", "source_key", "expires", "seconds_left", "this_shell"} for d in doc["sessions"]
    )
    assert [k["store"] for k in doc["keys"]] == ["credentials file", "credentials file", "encrypted file"]
    # list makes no AWS call and opens no keyring.
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "mfaenv", "list"], capture_output=True, timeout=60)
    assert p.returncode == 0
    assert not {"botocore", "keyring", "cryptography"} & {
        line.split("|")[-1].strip().split(".")[0] for line in p.stderr.decode().splitlines() if "|" in line
    }


def test_damaged_and_foreign_entries_are_shown_never_used_and_cleared(
    user: IamUser, mfaenv: Mfaenv, isolated: Path
) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0
    (entry,) = _entries(isolated)
    damaged = entry.with_name("0" * 24 + "-" + "1" * 24 + ".json")
    damaged.write_text("{not json")
    damaged.chmod(0o600)
    loose = entry.with_name("2" * 24 + "-" + "3" * 24 + ".json")
    loose.write_bytes(entry.read_bytes())
    loose.chmod(0o644)
    out = mfaenv("list").out
    assert f"{damaged.name}: damaged" in out
    assert f"{loose.name}: refused: its mode is -rw-r--r--" in out
    # clear PROFILE takes only what is readably that profile's; clear takes everything of ours.
    r = mfaenv("clear", "default")
    assert r.err == "mfaenv: removed 1 cached session of profile default\n"
    assert not entry.exists() and damaged.exists() and loose.exists()
    (_sessions(isolated) / "notes.txt").write_text("not ours")
    r = mfaenv("clear")
    assert r.err == "mfaenv: removed 2 cached sessions\n"
    assert _entries(isolated) == []
    assert (_sessions(isolated) / "notes.txt").exists()
    assert mfaenv("list").out.startswith("no cached sessions\n\n")
    assert os.environ.get("HOME") == str(isolated)


def test_clear_of_an_unknown_profile_names_the_known_ones(user: IamUser, mfaenv: Mfaenv) -> None:
    r = mfaenv("clear", "defualt")
    assert r.code == 0
    assert r.err.splitlines() == [
        "mfaenv: no cached sessions of profile defualt",
        "mfaenv: the AWS files have no profile 'defualt' either; known profiles: default",
    ]
