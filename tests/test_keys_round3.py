"""Keys off the disk, round 3: the key-store findings of issues 19 and 20, each against real parts.

A real Secret Service (gnome-keyring on a private D-Bus), the encrypted key file,
a pass store, moto's IAM and STS on loopback, and a real fish for auto-login.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser, make_user
from tests.helpers import Mfaenv
from tests.secretservice import SecretService
from tests.test_keyring import PROFILE, admin_iam, iam_keys, marker, password_store, stored  # noqa: F401
from tests.tty import ENTER

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def work(moto_server: str, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> IamUser:
    """An IAM user for profile `work`, whose keys are in no file: config has only its region and serial."""
    u = make_user(moto_server)
    (isolated / ".aws" / "config").write_text(f"[profile {PROFILE}]\nregion = eu-west-1\nmfa_serial = {u.serial}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", moto_server)
    return u


def runner(u: IamUser) -> Mfaenv:
    return Mfaenv(secrets=(u.secret, MOTO_SESSION_SECRET, CODE, PASSPHRASE))


def keys_in(u: IamUser) -> bytes:
    return f"{u.key_id}\n{u.secret}\n".encode()


def add_to_file(u: IamUser, *extra: str) -> None:
    r = runner(u)(
        "add", PROFILE, "--keyring", "file", *extra, input=keys_in(u), env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE}
    )
    assert r.code == 0 and r.out == "", r


def keyfile(isolated: Path) -> Path:
    return isolated / ".local" / "share" / "mfaenv" / "keys.json"


# -- issue 19: the token command sees no secret of a store ---------------------------------------------


def test_token_command_never_sees_the_key_file_passphrase(work: IamUser, isolated: Path, tmp_path: Path) -> None:
    add_to_file(work)
    seen = tmp_path / "env.txt"
    command = f"env > {seen}; echo {CODE}"
    r = runner(work)(
        "login",
        "--profile",
        PROFILE,
        "--token-command",
        command,
        env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE, "KEYRING_CRYPTFILE_PASSWORD": "kcp-secret"},
    )
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
    text = seen.read_text()
    assert PASSPHRASE not in text and "MFAENV_KEYFILE_PASSPHRASE" not in text
    assert "kcp-secret" not in text
    assert "HOME=" in text  # the rest of the environment is there (ykman, op and pass need it)


# -- issue 19: fish's auto-login at the key file's passphrase --------------------------------------------


def test_fish_auto_login_takes_the_key_file_passphrase_typed_with_enter(work: IamUser, isolated: Path) -> None:
    from tests.test_hooks import PROMPT, _set, _show, spawn

    add_to_file(work)
    terminal = spawn("fish", isolated, env={"AWS_PROFILE": PROFILE})
    terminal.shell = "fish"  # type: ignore[attr-defined]
    try:
        past = "1000"
        terminal.enter(_set(terminal, MFAENV_PROFILE=PROFILE, MFAENV_AUTO_LOGIN="1"))
        terminal.expect_exact(PROMPT)
        terminal.enter(_set(terminal, MFAENV_EXPIRES=past))
        terminal.expect_exact("Passphrase for the mfaenv key file")
        terminal.send(PASSPHRASE + ENTER)  # Enter as a terminal sends it: a CR
        terminal.expect_exact("MFA code for")
        terminal.send(CODE + ENTER)
        terminal.expect(r"aws:work 1[12]h[0-9]{2}m ")
        terminal.expect_exact(PROMPT)
        assert PASSPHRASE not in str(terminal.before)
        assert _show(terminal)["secret"] == MOTO_SESSION_SECRET
    finally:
        terminal.close(force=True)


# -- issue 19: the key file's scrypt costs are not taken on trust -------------------------------------------

TAMPERED = [
    ("N", 3),  # not a power of two: ValueError inside scrypt
    ("N", True),  # a JSON true is no number
    ("N", 2**30),  # 128 GiB of memory
    ("R", 0),
    ("P", 2**20),  # a million rounds: days
    ("Salt", "!!not base64!!"),
    ("Data", "\u00e9t\u00e9"),
]


@pytest.mark.parametrize(("field", "value"), TAMPERED, ids=[f"{f}={v!r}"[:20] for f, v in TAMPERED])
def test_a_key_file_with_changed_scrypt_costs_is_damaged_in_one_line(
    work: IamUser, isolated: Path, field: str, value: object
) -> None:
    add_to_file(work)
    doc = json.loads(keyfile(isolated).read_text())
    (doc if field == "Data" else doc["KDF"])[field] = value
    keyfile(isolated).write_text(json.dumps(doc))
    line = runner(work).fails(
        "login", "--profile", PROFILE, "--token-code", CODE, code=2, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE}
    )
    assert "is damaged or not mfaenv's" in line


def test_a_key_file_mfaenv_wrote_opens(work: IamUser, isolated: Path) -> None:
    add_to_file(work)
    kdf = json.loads(keyfile(isolated).read_text())["KDF"]
    assert (kdf["N"], kdf["R"], kdf["P"], len(base64.b64decode(kdf["Salt"]))) == (2**17, 8, 1, 16)
    r = runner(work)("login", "--profile", PROFILE, "--token-code", CODE, env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE})
    assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r


def test_a_relative_key_file_path_is_refused(work: IamUser, isolated: Path, tmp_path: Path) -> None:
    line = runner(work).fails(
        "add",
        PROFILE,
        "--keyring",
        "file",
        code=2,
        input=keys_in(work),
        env={"MFAENV_KEYFILE": "keys.json", "MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE},
    )
    assert "MFAENV_KEYFILE 'keys.json' is not an absolute path" in line
    assert not list(Path.cwd().glob("keys.json")) and "mfaenv_keyring" not in marker(isolated)
    # ~ is the user's home, as in MFAENV_CACHE_DIR.
    r = runner(work)(
        "add",
        PROFILE,
        "--keyring",
        "file",
        input=keys_in(work),
        env={"MFAENV_KEYFILE": "~/private/keys.json", "MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE},
    )
    assert r.code == 0 and (isolated / "private" / "keys.json").exists(), r


def test_new_passphrase_question_says_what_it_is_for(work: IamUser, isolated: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mfaenv", "add", PROFILE, "--keyring", "file", "--no-credential-process"],
        encoding="utf-8",
        timeout=60,
    )
    child.expect("access key id")
    child.send(work.key_id + ENTER)
    child.expect("secret access key")
    child.send(work.secret + ENTER)
    child.expect(r"New passphrase for the mfaenv key file (\S+) \(it encrypts your AWS keys\): ")
    assert child.match.group(1) == str(keyfile(isolated))
    child.send(PASSPHRASE + ENTER)
    child.expect("Same passphrase again")
    child.send(PASSPHRASE + ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


# -- issue 19: add from stdin with a BOM; a key moved between stores ------------------------------------


def test_add_from_stdin_takes_a_key_id_behind_a_utf8_bom(keyring: SecretService, work: IamUser) -> None:
    # Notepad and PowerShell save UTF-8 with a byte order mark.
    r = runner(work)(
        "add", PROFILE, "--no-credential-process", input=b"\xef\xbb\xbf" + keys_in(work).replace(b"\n", b"\r\n")
    )
    assert r.code == 0, r
    assert stored(keyring, work.key_id) == work.secret


def file_holds(isolated: Path, key_id: str) -> str | None:
    """What the encrypted key file holds for (work, key id), opened as mfaenv opens it."""
    from mfaenv.store.keyfile import KeyFile

    os.environ["MFAENV_KEYFILE_PASSPHRASE"] = PASSPHRASE
    try:
        return KeyFile(str(keyfile(isolated))).get(PROFILE, key_id)
    finally:
        del os.environ["MFAENV_KEYFILE_PASSPHRASE"]


def test_moving_a_key_to_another_store_takes_it_out_of_the_old_one(
    password_store: Path,  # noqa: F811 - the fixture of tests.test_keyring
    work: IamUser,
    isolated: Path,
) -> None:
    add_to_file(work)
    assert file_holds(isolated, work.key_id) == work.secret
    r = runner(work)(
        "add", PROFILE, "--keyring", "pass", input=keys_in(work), env={"MFAENV_KEYFILE_PASSPHRASE": PASSPHRASE}
    )
    assert r.code == 0, r
    assert "deleted the copy of key" in r.err and "encrypted key file" in r.err
    assert file_holds(isolated, work.key_id) is None  # not left behind where `remove` would never look
    item = password_store / "mfaenv" / PROFILE / f"{work.key_id}.gpg"
    assert item.exists() and marker(isolated)["mfaenv_keyring_backend"] == "pass"
    assert runner(work)("remove", PROFILE, "--yes").code == 0
    assert not item.exists() and file_holds(isolated, work.key_id) is None


# -- issue 20: add checks the store first, and writes inside the profile's block --------------------------


def test_add_without_a_keyring_says_so_before_asking_anything(work: IamUser, isolated: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "mfaenv", "add", PROFILE], encoding="utf-8", timeout=30)
    i = child.expect(["access key id", "credential_process", pexpect.EOF])
    child.close()
    assert i == 2, f"asked before checking the store: {child.before}"
    assert child.exitstatus == 2 and "no OS keyring is available" in child.before


def test_add_with_pass_not_set_up_says_so_before_asking(
    work: IamUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    if not shutil.which("pass"):
        pytest.skip("pass is not installed")
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(tmp_path / "no-store"))
    child = pexpect.spawn(
        sys.executable, ["-m", "mfaenv", "add", PROFILE, "--keyring", "pass"], encoding="utf-8", timeout=30
    )
    i = child.expect(["access key id", pexpect.EOF])
    child.close()
    assert i == 1 and child.exitstatus == 2 and "pass init" in child.before, child.before


def test_add_writes_its_lines_inside_the_profiles_block(keyring: SecretService, work: IamUser, isolated: Path) -> None:
    config = isolated / ".aws" / "config"
    head = config.read_text()
    config.write_text(head + "\n# the next profile\n[profile other]\nregion = us-east-2\n")
    r = runner(work)("add", PROFILE, "--credential-process", input=keys_in(work))
    assert r.code == 0, r
    assert config.read_text() == (
        head
        + f"mfaenv_keyring = {work.key_id}\ncredential_process = mfaenv credential-process --profile {PROFILE}\n"
        + "\n# the next profile\n[profile other]\nregion = us-east-2\n"
    )


# -- issue 20: the locked keyring's fix works, as the line gives it -----------------------------------------


def _unlock_as_told(line: str, service: SecretService) -> None:
    import re

    (command,) = re.findall(r"`(gnome-keyring-daemon [^`]*)`", line)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(service.root / "home"),
        "XDG_DATA_HOME": str(service.root / "data"),
        "XDG_RUNTIME_DIR": str(service.root / "run"),
        "DBUS_SESSION_BUS_ADDRESS": service.address,
    }
    subprocess.run(command, shell=True, input=b"keyring-pw", env=env, timeout=30, check=True, capture_output=True)


def test_the_locked_keyring_line_gives_a_command_that_unlocks_it(
    work: IamUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not SecretService.available():
        pytest.skip("no gnome-keyring")
    service = SecretService(tmp_path / "ring", password="keyring-pw").start()
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
        assert r.code == 0, r
        import secretstorage

        with secretstorage.dbus_init() as bus:
            secretstorage.get_default_collection(bus).lock()
        line = runner(work).fails("login", "--profile", PROFILE, "--token-code", CODE, code=3)
        assert "locked" in line
        _unlock_as_told(line, service)
        r = runner(work)("login", "--profile", PROFILE, "--token-code", CODE)
        assert r.code == 0 and "AWS_SESSION_TOKEN" in r.out, r
    finally:
        replacement = _secrets_owner(service)
        service.stop()
        if replacement:  # the daemon that took over is not the fixture's child: end it by its pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(replacement, signal.SIGTERM)


def _secrets_owner(service: SecretService) -> int | None:
    import re

    p = subprocess.run(
        [
            "dbus-send",
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.secrets",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": service.address},
        timeout=10,
        check=False,
    )
    found = re.search(r"uint32 (\d+)", p.stdout)
    return int(found.group(1)) if found else None


# -- issue 20: remove, and the login after it ----------------------------------------------------------------


def test_remove_of_a_profile_without_stored_keys_lists_those_with(keyring: SecretService, work: IamUser) -> None:
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0, r
    line = runner(work).fails("remove", "wrok", "--yes", code=2)
    assert "profile 'wrok' is not in" in line and "profiles with keys in a store: work" in line


def test_login_after_remove_points_to_add(keyring: SecretService, work: IamUser) -> None:
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0, r
    assert runner(work)("remove", PROFILE, "--yes").code == 0
    line = runner(work).fails("login", "--profile", PROFILE, "--token-code", CODE, code=2)
    assert f"`mfaenv add {PROFILE}`" in line


# -- issue 19 and 20: rotate ---------------------------------------------------------------------------


def test_rotate_refuses_a_key_another_profile_holds(work: IamUser, moto_server: str, isolated: Path) -> None:
    creds = isolated / ".aws" / "credentials"
    keys = f"aws_access_key_id = {work.key_id}\naws_secret_access_key = {work.secret}\n"
    before = f"[{PROFILE}]\n{keys}\n[{PROFILE}-ci]\n{keys}"
    creds.write_text(before)
    creds.chmod(0o600)
    line = runner(work).fails("rotate", PROFILE, "--token-code", CODE, code=2)
    assert f"also the key of profile '{PROFILE}-ci' (in {creds})" in line and "nothing was changed" in line
    assert iam_keys(moto_server, work.name) == [work.key_id] and creds.read_text() == before


def test_rotate_refuses_a_key_another_profiles_marker_names(
    keyring: SecretService, work: IamUser, moto_server: str, isolated: Path
) -> None:
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0, r
    config = isolated / ".aws" / "config"
    config.write_text(config.read_text() + f"\n[profile ci]\nmfaenv_keyring = {work.key_id}\n")
    line = runner(work).fails("rotate", PROFILE, "--token-code", CODE, code=2)
    assert f"also the key of profile 'ci' (in {config})" in line
    assert iam_keys(moto_server, work.name) == [work.key_id] and stored(keyring, work.key_id) == work.secret


def test_rotate_names_the_store_and_says_the_sessions_it_dropped(
    keyring: SecretService, work: IamUser, moto_server: str
) -> None:
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0, r
    assert runner(work)("login", "--profile", PROFILE, "--token-code", CODE).code == 0
    r = runner(work)("rotate", PROFILE)
    assert r.code == 0, r
    (new_id,) = iam_keys(moto_server, work.name)
    assert f"rotated the key of profile '{PROFILE}' in the OS keyring (SecretService Keyring)" in r.err
    assert "dropped 1 cached session of the old key, so the next login asks for an MFA code" in r.err
    line = runner(work).fails("login", "--profile", PROFILE, code=2)  # no terminal: asking a code is one line
    assert "MFA code" in line


# -- issue 20: completion of rotate and remove, and list -----------------------------------------------------


def test_rotate_and_remove_complete_only_profiles_holding_keys(isolated: Path) -> None:
    from tests.test_completion import DOCUMENTED, _bash_complete

    (isolated / ".aws" / "credentials").write_text(
        "[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x" + "y" * 39 + "\n[cfg]\nregion = x\n"
    )
    (isolated / ".aws" / "config").write_text(
        "[profile work]\nmfaenv_keyring = AKIAIOSFODNN7EXAMPL2\n[profile plain]\nregion = eu-west-1\n"
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = work\n"
    )
    assert _bash_complete("mfaenv remove ", DOCUMENTED) == ["work"]
    assert _bash_complete("mfaenv rotate ", DOCUMENTED) == ["ci", "work"]
    assert _bash_complete("mfaenv rotate --profile ", DOCUMENTED) == ["ci", "work"]
    assert _bash_complete("mfaenv login --profile ", DOCUMENTED) == ["admin", "cfg", "ci", "plain", "work"]


def test_list_says_both_places_when_keys_are_in_a_store_and_the_credentials_file(
    keyring: SecretService, work: IamUser, isolated: Path
) -> None:
    creds = isolated / ".aws" / "credentials"
    creds.write_text(f"[{PROFILE}]\naws_access_key_id = {work.key_id}\naws_secret_access_key = {work.secret}\n")
    creds.chmod(0o600)
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0 and "still holds keys" in r.err, r
    r = runner(work)("list")
    assert r.code == 0, r
    (row,) = [line for line in r.out.splitlines() if line.startswith(PROFILE + " ")]
    assert row.split(None, 2)[2] == "OS keyring and credentials file"
    keys = json.loads(runner(work)("list", "--json").out)["keys"]
    assert keys == [
        {
            "profile": PROFILE,
            "key": f"{work.key_id[:4]}...{work.key_id[-4:]}",
            "store": "OS keyring and credentials file",
            "also_in": "credentials file",
        }
    ]


def test_remove_asks_naming_the_store(keyring: SecretService, work: IamUser) -> None:
    r = runner(work)("add", PROFILE, "--no-credential-process", input=keys_in(work))
    assert r.code == 0, r
    child = pexpect.spawn(sys.executable, ["-m", "mfaenv", "remove", PROFILE], encoding="utf-8", timeout=30)
    child.expect(r"from the (.*)\? The key stays valid in IAM\. \[y/N\] ")
    assert child.match.group(1) == "OS keyring (SecretService Keyring)"
    child.send("y" + ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and stored(keyring, work.key_id) is None
