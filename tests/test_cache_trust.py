"""The cache folder is input: a folder, a link or a FIFO someone else planted can't be turned against its owner.

The tests run as root, so "another user" is a real one: uid 65534 (nobody)
owns what an attacker would have planted. A planted FIFO would hang a login
that opened it: every run here has a timeout, and hanging fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.helpers import Mfaenv

OTHER = 65534  # nobody: a real second user on every Debian machine
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files to another user")
README = Path(__file__).resolve().parent.parent / "README.md"
FIX = "delete it (mfaenv creates its own, 0700), point MFAENV_CACHE_DIR at a private folder, or set MFAENV_NO_CACHE=1"


def _shared(tmp_path: Path) -> Path:
    """A folder anyone can write, owned by another user (what MFAENV_CACHE_DIR=/srv/shared could be)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    os.chown(shared, OTHER, OTHER)
    return shared


def _plant_fifo(folder: Path, name: str = "used-codes.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fifo = folder / name
    os.mkfifo(fifo)
    return fifo


@needs_root
def test_a_planted_fifo_hangs_no_login(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    sessions = shared / "sessions"
    _plant_fifo(sessions)
    os.chown(sessions, OTHER, OTHER)
    sessions.chmod(0o777)
    env = {"MFAENV_CACHE_DIR": str(shared)}
    for args in (["--token-code", CODE], ["--fresh", "--token-code", CODE]):
        r = mfaenv("login", *args, env=env, timeout=30)
        assert (r.code, r.out) == (2, ""), r
        assert (
            r.err
            == f"mfaenv: refusing the cache folder {shared}: it belongs to uid {OTHER}, not to you (uid 0); {FIX}\n"
        )
    # MFAENV_NO_CACHE=1 is the way out: nothing in the folder is read, used codes included.
    r = mfaenv("login", "--token-code", CODE, env={**env, "MFAENV_NO_CACHE": "1"}, timeout=30)
    assert r.code == 0 and "export AWS_SESSION_TOKEN=" in r.out, r
    assert sorted(p.name for p in sessions.iterdir()) == ["used-codes.json"]


def test_a_fifo_in_our_own_folder_is_refused_not_waited_on(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    sessions = isolated / ".cache" / "mfaenv" / "sessions"
    fifo = _plant_fifo(sessions)
    sessions.chmod(0o700)
    line = mfaenv.fails("login", "--token-code", CODE, code=2)
    assert line == f"mfaenv: refusing the used-codes file {fifo}: it is not a regular file; delete it"
    fifo.unlink()
    assert mfaenv("login", "--token-code", CODE).code == 0
    (entry,) = sessions.glob("[0-9a-f]*-*.json")  # not used-codes.json, nor the device's lock file
    entry.unlink()
    os.mkfifo(entry)  # a FIFO named like the entry a cached login opens
    line = mfaenv.fails("login", code=2)
    assert line == f"mfaenv: refusing the session cache entry {entry}: it is not a regular file; delete it"
    entry.unlink()
    entry.mkdir()  # or a folder
    line = mfaenv.fails("login", code=2)
    assert line == f"mfaenv: refusing the session cache entry {entry}: it is not a regular file; delete it"


@needs_root
def test_a_sessions_folder_of_another_user_is_refused(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    mine = tmp_path / "cache"
    sessions = mine / "sessions"
    sessions.mkdir(parents=True, mode=0o700)
    os.chown(sessions, OTHER, OTHER)
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env={"MFAENV_CACHE_DIR": str(mine)})
    assert f"refusing the cache folder {sessions}: it belongs to uid {OTHER}, not to you (uid 0); delete it" in line
    assert list(sessions.iterdir()) == []  # no session went into their folder


def test_a_sessions_link_is_not_followed(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    mine = tmp_path / "cache"
    mine.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    (elsewhere / "notes.txt").write_text("mine")
    (mine / "sessions").symlink_to(elsewhere)
    env = {"MFAENV_CACHE_DIR": str(mine)}
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env=env)
    assert f"refusing the cache folder {mine / 'sessions'}: it is a symbolic link" in line
    line = mfaenv.fails("login", "--fresh", "--token-code", CODE, code=2, env=env)
    assert "it is a symbolic link" in line
    assert oct(elsewhere.stat().st_mode & 0o777) == "0o755"  # not chmod-ed through the link
    assert sorted(p.name for p in elsewhere.iterdir()) == ["notes.txt"]  # and not filled
    # The cache folder itself as a link: refused the same way.
    (tmp_path / "link").symlink_to(mine)
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env={"MFAENV_CACHE_DIR": str(tmp_path / "link")})
    assert f"refusing the cache folder {tmp_path / 'link'}: it is a symbolic link" in line


@pytest.mark.parametrize(("folder", "mode"), [("top", 0o777), ("top", 0o770), ("sessions", 0o733)])
def test_a_folder_others_can_write_is_refused(
    user: IamUser, mfaenv: Mfaenv, tmp_path: Path, folder: str, mode: int
) -> None:
    top = tmp_path / "cache"
    env = {"MFAENV_CACHE_DIR": str(top)}
    assert mfaenv("login", "--token-code", CODE, env=env).code == 0
    path = top if folder == "top" else top / "sessions"
    path.chmod(mode)
    line = mfaenv.fails("login", code=2, env=env)
    assert f"refusing the cache folder {path}: others can write it" in line and f"`chmod go-w {path}`" in line
    path.chmod(mode & ~0o022)
    r = mfaenv("login", env=env)  # fixed as the line says: the cached session is back
    assert r.code == 0 and MOTO_SESSION_SECRET in r.out, r


@needs_root
def test_parents_that_let_others_swap_the_folder(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    open_parent = tmp_path / "open"
    open_parent.mkdir()
    open_parent.chmod(0o777)  # anyone may rename what is in it
    env = {"MFAENV_CACHE_DIR": str(open_parent / "cache")}
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env=env)
    assert f"anyone can write the folder {open_parent} above it (mode drwxrwxrwx, no sticky bit)" in line
    open_parent.chmod(0o1777)  # sticky, like /tmp: only the owner may rename or delete our folder
    assert mfaenv("login", "--token-code", CODE, env=env).code == 0
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, OTHER, OTHER)
    line = mfaenv.fails("login", "--token-code", "700001", code=2, env={"MFAENV_CACHE_DIR": str(theirs / "cache")})
    assert f"the folder {theirs} above it belongs to uid {OTHER}" in line


@needs_root
def test_xdg_cache_home_in_a_shared_place(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    shared = tmp_path / "xdg"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "mfaenv"
    planted.mkdir(mode=0o777)
    os.chown(planted, OTHER, OTHER)
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env={"XDG_CACHE_HOME": str(shared)})
    assert f"refusing the cache folder {planted}: it belongs to uid {OTHER}" in line
    assert list(planted.iterdir()) == []


@pytest.mark.parametrize("value", ["cache", "./cache", "../x/cache"])
def test_a_relative_cache_dir_is_an_input_error(
    user: IamUser, mfaenv: Mfaenv, tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = mfaenv.fails("login", "--token-code", CODE, code=2, env={"MFAENV_CACHE_DIR": value})
    assert line == f"mfaenv: MFAENV_CACHE_DIR {value!r} is not an absolute path; set it to one, e.g. ~/.cache/mfaenv"
    assert not (tmp_path / "cache").exists()
    r = mfaenv("login", "--token-code", CODE, env={"MFAENV_CACHE_DIR": "~/mfaenv-cache"})
    assert r.code == 0 and (Path(os.environ["HOME"]) / "mfaenv-cache" / "sessions").is_dir(), r


def test_no_cache_consults_no_used_codes(user: IamUser, mfaenv: Mfaenv, moto_server: str) -> None:
    from tests.recorder import Recorder

    with Recorder(moto_server).running() as rec:
        env = {"AWS_ENDPOINT_URL_STS": rec.url}
        assert mfaenv("login", "--token-code", CODE, env=env).code == 0
        mfaenv.fails("login", "--fresh", "--token-code", CODE, code=2, env=env)  # remembered
        r = mfaenv("login", "--token-code", CODE, env={**env, "MFAENV_NO_CACHE": "1"})
        assert r.code == 0, r  # not consulted: STS is the judge (moto accepts any code)
        assert len(rec.requests) == 2


KILLED_WRITER = """
import os, signal, sys
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed in the middle of the entry's write
from mfaenv.cli.main import run
run(sys.argv[1:])
"""


def _killed_login(code: str) -> list[Path]:
    p = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, "login", "--token-code", code],
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    assert p.returncode == -signal.SIGKILL and p.stdout == b"", p
    sessions = Path(os.environ["XDG_CACHE_HOME"]) / "mfaenv" / "sessions"
    leftovers = sorted(sessions.glob(".tmp-*.json"))
    assert leftovers and MOTO_SESSION_SECRET in leftovers[-1].read_text()  # the secret key, in a stray file
    return leftovers


@pytest.mark.parametrize("args", [["logout", "--forget", "--profile", "default"], ["clear"], ["clear", "default"]])
def test_forget_removes_what_a_killed_write_left(user: IamUser, mfaenv: Mfaenv, args: list[str]) -> None:
    (leftover,) = _killed_login(CODE)
    r = mfaenv(*args)
    assert r.code == 0, r
    assert not leftover.exists()


def test_a_later_login_removes_old_leftovers_only(user: IamUser, mfaenv: Mfaenv) -> None:
    (old,) = _killed_login(CODE)
    stale = time.time() - 3600
    os.utime(old, (stale, stale))
    young = old.with_name(".tmp-0123456789abcdef.json")  # as a writer in another terminal has it, mid-write
    young.write_text("{}")
    young.chmod(0o600)
    other = old.with_name(".tmp-notes.txt")  # not our name pattern: never touched
    other.write_text("x")
    os.utime(other, (stale, stale))
    assert mfaenv("login", "--token-code", "700002").code == 0
    assert not old.exists() and young.exists() and other.exists()


def test_the_used_codes_file_is_as_the_readme_says(user: IamUser, mfaenv: Mfaenv) -> None:
    """A salted hash of a 6-digit code is found by trying all million: the README must not promise more."""
    import hashlib

    assert mfaenv("login", "--token-code", CODE).code == 0
    used = Path(os.environ["XDG_CACHE_HOME"]) / "mfaenv" / "sessions" / "used-codes.json"
    doc = json.loads(used.read_text())
    (digest,) = doc["used"]
    serial = user.serial
    found = next(
        code
        for code in (f"{n:06d}" for n in range(1_000_000))
        if hashlib.sha256(f"{doc['salt']}\0{serial}\0{code}".encode()).hexdigest() == digest
    )
    assert found == CODE
    import mfaenv.store.usedcodes

    readme = README.read_text() + (README.parent / "docs" / "commands.md").read_text()  # the cache moved there
    assert "says nothing about past codes" not in readme + str(mfaenv.store.usedcodes.__doc__)
    assert "can be recovered from it by trying all million codes" in readme
    assert oct(used.stat().st_mode & 0o777) == "0o600" and oct(used.parent.stat().st_mode & 0o777) == "0o700"


#: root as a user: without the powers to read, write or chmod what is not its own.
UNPRIVILEGED = [
    "setpriv",
    *(f"--{kind}=-dac_override,-dac_read_search,-fowner" for kind in ("inh-caps", "bounding-set")),
]


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_without_root_powers(user: IamUser, isolated: Path, moto_server: str) -> None:
    """As any user sees it: another user's private `sessions` folder, and a lock that can't be opened for writing."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*UNPRIVILEGED, sys.executable, "-m", "mfaenv", *args],
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
        )

    sessions = isolated / ".cache" / "mfaenv" / "sessions"
    sessions.mkdir(parents=True, mode=0o700)
    sessions.parent.chmod(0o700)
    os.chown(sessions, OTHER, OTHER)  # theirs, 0700: opening it fails with EACCES
    p = run("login", "--token-code", CODE)
    assert (p.returncode, p.stdout) == (2, ""), p
    assert (
        p.stderr
        == f"mfaenv: refusing the cache folder {sessions}: it belongs to uid {OTHER}, not to you (uid 0); {FIX}\n"
    )
    sessions.rmdir()
    p = run("login", "--token-code", CODE)
    assert p.returncode == 0 and MOTO_SESSION_SECRET in p.stdout, p
    lock = isolated / ".aws" / "credentials.lock"
    lock.write_text("")
    lock.chmod(0o400)  # ours, but read-only
    p = run("login", "--write-profile", "mfa", "--no-env")
    assert (p.returncode, p.stdout) == (2, ""), p
    assert p.stderr == (  # one line: the note about the cached session waits for success
        f"mfaenv: cannot use the lock file {lock}: Permission denied; delete it (mfaenv makes its own) and try again\n"
    )
    assert "[mfa]" not in (isolated / ".aws" / "credentials").read_text()
