"""`login --write-profile`: the session as a named profile, with every other byte of the file kept."""

from __future__ import annotations

import configparser
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.helpers import Mfaenv

GOLDEN = {
    "plain": "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
    "comments-and-spacing": (
        "# my AWS keys -- do not share\n; another comment style\n\n[default]\n"
        "aws_access_key_id={key}\naws_secret_access_key   =   {secret}   \n# trailing comment in default\n\n\n"
        "[prod]   \n  ; indented comment\naws_access_key_id = AKIAPRODPRODPRODPROD\naws_secret_access_key = p\n"
        "region = eu-west-1\ns3 =\n    max_concurrent_requests = 20\n    multipart_threshold = 64MB\n\n"
        "[zeta]\nfoo : bar\n"
    ),
    "crlf": "# windows\r\n[default]\r\naws_access_key_id = {key}\r\naws_secret_access_key = {secret}\r\n\r\n[x]\r\na = b\r\n",
    "many-sections": "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    + "".join(f"\n[p{i}]\naws_access_key_id = AKIA{i:016d}\naws_secret_access_key = s{i}\n" for i in range(40)),
    "existing-mfa-section-later": "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n[after]\nk = v\n",
}


def _creds(home: Path) -> Path:
    return home / ".aws" / "credentials"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_write_then_remove_is_byte_exact(user: IamUser, mfaenv: Mfaenv, isolated: Path, name: str) -> None:
    original = GOLDEN[name].format(key=user.key_id, secret=user.secret).encode("utf-8")
    path = _creds(isolated)
    path.write_bytes(original)
    path.chmod(0o600)
    r = mfaenv("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE)
    assert r.code == 0 and r.out == "", r
    written = path.read_bytes()
    assert written.startswith(original)  # everything before is untouched, byte for byte
    added = written[len(original) :].decode()
    newline = "\r\n" if name == "crlf" else "\n"
    assert added.startswith(f"[mfa]{newline}") and added.endswith(newline)
    assert f"aws_secret_access_key = {MOTO_SESSION_SECRET}{newline}" in added
    assert "mfaenv_source_profile = default" in added and "expiration = 20" in added
    r = mfaenv("logout", "--write-profile", "mfa", "--no-env")
    assert r.code == 0, r
    assert path.read_bytes() == original


def test_file_without_final_newline_gains_only_that(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    original = f"[default]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}".encode()
    _creds(isolated).write_bytes(original)
    assert mfaenv("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE).code == 0
    assert mfaenv("logout", "--write-profile", "mfa", "--no-env").code == 0
    assert _creds(isolated).read_bytes() == original + b"\n"


def test_botocore_reads_the_written_profile(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    r = mfaenv("login", "--write-profile", "--no-env", "--token-code", CODE)  # default name: default-mfa
    assert r.code == 0 and "--profile default-mfa" in r.err, r
    import boto3

    creds = boto3.Session(profile_name="default-mfa").get_credentials().get_frozen_credentials()
    assert creds.secret_key == MOTO_SESSION_SECRET and creds.token
    # The CLI-style resolution: AWS_PROFILE names it, botocore's default chain finds it.
    p = subprocess.run(
        [sys.executable, "-c", "import boto3; print(boto3.Session().get_credentials().token is not None)"],
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_PROFILE": "default-mfa"},
    )
    assert p.stdout.strip() == "True", p


def test_a_written_profile_renews_from_its_source(user: IamUser, mfaenv: Mfaenv) -> None:
    assert mfaenv("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE).code == 0
    r = mfaenv("login", "--fresh", "--token-code", "135791", env={"AWS_PROFILE": "mfa"})
    assert r.code == 0 and "export MFAENV_PROFILE='default';" in r.out, r


def test_env_and_profile_together(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    r = mfaenv("login", "--write-profile", "mfa", "--token-code", CODE)
    assert r.code == 0 and f"export AWS_SECRET_ACCESS_KEY='{MOTO_SESSION_SECRET}';" in r.out
    assert "[mfa]" in _creds(isolated).read_text()


def test_refuses_to_overwrite_long_term_keys(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    before = _creds(isolated).read_bytes()
    line = mfaenv.fails("login", "--write-profile", "default", "--no-env", "--token-code", CODE, code=2)
    assert "section [default]" in line and "long-term keys that mfaenv did not write" in line
    assert _creds(isolated).read_bytes() == before
    line = mfaenv.fails("logout", "--write-profile", "default", "--no-env", code=2)
    assert "was not written by mfaenv" in line
    assert _creds(isolated).read_bytes() == before


def test_permissions_fixed_and_reported(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    _creds(isolated).chmod(0o644)
    r = mfaenv("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE)
    assert r.code == 0 and "was readable by others (mode 644); it is now 600" in r.err
    assert _creds(isolated).stat().st_mode & 0o777 == 0o600


def test_new_file_and_folder_are_private(user: IamUser, mfaenv: Mfaenv, isolated: Path, tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "credentials"
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(target), "MFAENV_MFA_SERIAL": user.serial}
    # The source keys come from elsewhere: a separate profile file is not needed, so use the config file.
    (isolated / ".aws" / "config").write_text(
        f"[default]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    )
    line = Mfaenv(secrets=(user.secret, MOTO_SESSION_SECRET))
    r = line("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, env={**env})
    assert r.code == 2 and "does not exist" in r.err  # a named file must exist to be read from
    # Unnamed, the default ~/.aws/credentials is created, in a new ~/.aws folder.
    config = tmp_path / "config"
    (isolated / ".aws" / "config").rename(config)
    (isolated / ".aws" / "credentials").unlink()
    (isolated / ".aws").rmdir()
    env = {"AWS_CONFIG_FILE": str(config), "MFAENV_MFA_SERIAL": user.serial}
    r = line("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, env={**env})
    assert r.code == 0, r
    target = isolated / ".aws" / "credentials"
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700
    assert "[mfa]" in target.read_text()


def test_symlink_is_edited_where_it_points(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    real = isolated / "dotfiles" / "aws-credentials"
    real.parent.mkdir()
    real.write_bytes(_creds(isolated).read_bytes())
    _creds(isolated).unlink()
    _creds(isolated).symlink_to(real)
    assert mfaenv("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE).code == 0
    assert _creds(isolated).is_symlink() and "[mfa]" in real.read_text()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[a]\nk = 1\n[a]\nk = 2\n", "section 'a' already exists"),
        (b"k = outside\n[a]\n", "File contains no section headers"),
        (b"[a]\nk = \xff\xfe\x00junk\n", "is not UTF-8 text"),
        (b"[a]\r\nk = 1\n", "mixes CRLF and LF line ends"),
        (b"[a]\nk = 1\x00\n", "NUL bytes"),
        (b"\xef\xbb\xbf[a]\nk = 1\n", "byte order mark (BOM), which botocore cannot read"),
    ],
)
def test_malformed_files_are_never_written(cli: Mfaenv, isolated: Path, body: bytes, fragment: str) -> None:
    _creds(isolated).write_bytes(body)
    line = cli.fails("logout", "--write-profile", "mfa", "--no-env", code=2)
    assert fragment in line and "cannot " in line
    assert _creds(isolated).read_bytes() == body


def test_twenty_writers_at_once(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    assert mfaenv("login", "--token-code", CODE).code == 0  # cache the session: the writers race on the file only
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mfaenv", "login", "--write-profile", f"w{i}", "--no-env"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for i in range(20)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    parser = configparser.RawConfigParser()
    parser.read_string(_creds(isolated).read_text())
    assert {f"w{i}" for i in range(20)} <= set(parser.sections())
    assert parser["default"]["aws_access_key_id"] == user.key_id


KILL_WRITER = """
import datetime as dt, sys
from pathlib import Path
from mfaenv.store import credfile
from mfaenv.plan import Session
path, n = Path(sys.argv[1]), 0
while True:
    n += 1
    s = Session(f"ASIA{n:016d}", "x" * 2000 + str(n), "t" * 3000, dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc), "default")
    credfile.write_session(path, f"k{n % 3}", s, "default", lambda m: None)
"""


def test_sigkill_leaves_old_or_new_never_a_mix(user: IamUser, isolated: Path) -> None:
    path = _creds(isolated)
    original_default = path.read_text()
    rng = random.Random(7)
    for _ in range(40):
        p = subprocess.Popen([sys.executable, "-c", KILL_WRITER, str(path)], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.15, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
        text = path.read_text()
        parser = configparser.RawConfigParser()
        parser.read_string(text)  # complete, parseable
        assert text.startswith(original_default)  # the long-term profile intact, byte for byte
        for section in parser.sections():
            if section != "default":  # every session section is whole: all keys, full-length values
                sec = parser[section]
                n = int(sec["aws_access_key_id"][4:])
                assert sec["aws_secret_access_key"] == "x" * 2000 + str(n) and len(sec["aws_session_token"]) == 3000
    assert len(parser.sections()) > 1  # the writer did get to write


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file to another user")
def test_a_file_of_another_user_is_not_taken_over(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    path = _creds(isolated)
    os.chown(path, 65534, 65534)
    before = path.read_bytes()
    line = mfaenv.fails("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, code=2)
    assert "belongs to uid 65534" in line and "run mfaenv as the file's owner" in line
    assert path.read_bytes() == before and path.stat().st_uid == 65534


def test_a_planted_lock_link_truncates_nothing(user: IamUser, mfaenv: Mfaenv, isolated: Path, tmp_path: Path) -> None:
    """filelock < 3.20.1 opened `credentials.lock` with O_TRUNC through a planted link."""
    precious = tmp_path / "id_ed25519"
    precious.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    before = precious.read_bytes()
    lock = isolated / ".aws" / "credentials.lock"
    lock.symlink_to(precious)
    creds = _creds(isolated).read_bytes()
    line = mfaenv.fails("login", "--write-profile", "mfa", "--no-env", "--token-code", CODE, code=2)
    assert (
        line
        == f"mfaenv: cannot use the lock file {lock}: it is a symbolic link; delete it (mfaenv makes its own) and try again"
    )
    assert precious.read_bytes() == before and _creds(isolated).read_bytes() == creds
    assert lock.is_symlink()


@pytest.mark.parametrize("kind", ["directory", "fifo", "other user"])
def test_an_unusable_lock_is_one_line(cli: Mfaenv, isolated: Path, kind: str) -> None:
    lock = isolated / ".aws" / "credentials.lock"
    if kind == "directory":
        lock.mkdir()
        why = "it is a directory"
    elif kind == "fifo":
        os.mkfifo(lock)
        why = "it is not a regular file"
    else:
        if os.geteuid() != 0:
            pytest.skip("needs root to give the lock to another user")
        lock.write_text("")
        os.chown(lock, 65534, 65534)
        why = "it belongs to uid 65534, not to you"
    _creds(isolated).write_text("[mfa]\nmfaenv_source_profile = default\n")
    line = cli.fails("logout", "--write-profile", "mfa", "--no-env", code=2)
    assert line == f"mfaenv: cannot use the lock file {lock}: {why}; delete it (mfaenv makes its own) and try again"
    assert "[mfa]" in _creds(isolated).read_text()


def test_filelock_requirement_excludes_the_releases_that_follow_links() -> None:
    import importlib.metadata

    from packaging.requirements import Requirement

    try:
        import tomllib
    except ImportError:  # Python 3.9, 3.10
        pytest.skip("tomllib is Python 3.11+")
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"] if r.startswith("filelock")]
    for python in ("3.10", "3.11", "3.13"):
        (req,) = [r for r in reqs if r.marker is None or r.marker.evaluate({"python_version": python})]
        assert not req.specifier.contains("3.20.0") and req.specifier.contains("3.20.1"), (python, str(req))
    assert (
        importlib.metadata.version("filelock")
        in next(r for r in reqs if r.marker is None or r.marker.evaluate()).specifier
    )


def _big(user: IamUser) -> bytes:
    """Over 2 MiB of plausible profiles, with the real default first: only the size is wrong."""
    head = f"[default]\naws_access_key_id = {user.key_id}\naws_secret_access_key = {user.secret}\n"
    filler = "".join(
        f"\n[p{i}]\naws_access_key_id = AKIA{i:016d}\naws_secret_access_key = {'s' * 40}\n" for i in range(25_000)
    )
    return (head + filler).encode()


def test_an_oversized_credentials_file_is_refused_unread(user: IamUser, mfaenv: Mfaenv, isolated: Path) -> None:
    body = _big(user)
    assert len(body) > 2 << 20
    _creds(isolated).write_bytes(body)
    line = mfaenv.fails("login", "--token-code", CODE, code=2)
    assert line == (
        "mfaenv: the credentials file ~/.aws/credentials is larger than 2 MiB, far more than any AWS file needs; check that it is the right file"
    )
    # The editor refuses it too (logout --write-profile reads no profile first).
    line = mfaenv.fails("logout", "--write-profile", "p1", "--no-env", code=2)
    assert f"the file {_creds(isolated)} is larger than 2 MiB" in line
    assert _creds(isolated).read_bytes() == body


def test_a_fifo_as_the_config_file_hangs_nothing(user: IamUser, mfaenv: Mfaenv, tmp_path: Path) -> None:
    fifo = tmp_path / "config"
    os.mkfifo(fifo)
    r = mfaenv("login", "--token-code", CODE, env={"AWS_CONFIG_FILE": str(fifo)}, timeout=30)
    assert r.code == 2 and r.out == "" and "is not a regular file (a pipe or a socket?)" in r.err, r
    r = mfaenv("login", "--token-code", CODE, env={"AWS_CONFIG_FILE": os.devnull, "MFAENV_MFA_SERIAL": user.serial})
    assert r.code == 0, r  # /dev/null, as some set it to mean "no config file", still reads as empty
