"""Issue 19, round 3 at the edges: completion, questions, the HTTP edge, numbers, export, temp files, logout."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CODE, IamUser
from tests.faultsts import FRAMING, FaultSts
from tests.helpers import MFAENV, Mfaenv
from tests.realshells import evaluate, require
from tests.tty import ENTER, Terminal

BIN = os.path.dirname(sys.executable)  # the console script `mfaenv`, as installed
EVIL = "evil$(touch pwned)"


@pytest.mark.parametrize(
    "load",
    ['eval "$(mfaenv init bash)"', 'eval "$(_MFAENV_COMPLETE=bash_source mfaenv)"'],
    ids=["hook", "documented"],
)
def test_bash_completion_inserts_a_profile_name_quoted(isolated: Path, tmp_path: Path, load: str) -> None:
    """<TAB> then Enter in a real bash: the name reaches the command whole, and nothing in it runs or globs."""
    require("bash")
    (isolated / ".aws" / "config").write_text(f"[profile {EVIL}]\n[profile glob*]\n[profile work]\n")
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "globbed-file").write_text("")  # `glob*` unquoted would become this name
    args = tmp_path / "args"
    rc = tmp_path / "bashrc"
    # After loading completion, `mfaenv` becomes a function that records its arguments; completion
    # still asks the real program (`\command mfaenv`, `env ... mfaenv`).
    rc.write_text(f"{load}\nmfaenv() {{ printf '<%s>\\n' \"$@\" > {args}; }}\nPS1='$ '\n")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "TERM": "dumb", "INPUTRC": "/dev/null"}
    child = Terminal(
        "bash", ["--noprofile", "--rcfile", str(rc), "-i"], env=env, cwd=str(work), timeout=30, encoding="utf-8"
    )
    try:
        child.expect_exact("$ ")
        for typed, seen, name in (("ev", "touch", EVIL), ("gl", "glob", "glob*")):
            child.send(f"mfaenv login --profile {typed}\t")
            child.expect_exact(seen)  # the completed word is on the line
            child.send(ENTER)
            child.expect_exact("$ ")
            assert not (work / "pwned").exists(), "the completed word ran a command"
            assert args.read_text() == f"<login>\n<--profile>\n<{name}>\n"
    finally:
        child.close(force=True)


# ---- 2. questions on the terminal are escaped as stderr is ----

RED = "\x1b[31m"


def _tty_bytes(argv: list[str], question: bytes, answer: str, env: dict[str, str] | None = None) -> bytes:
    """Everything that reached the terminal, up to the end, with `answer` typed at `question`.

    stdout goes to a pipe, as under `eval "$(...)"`; stderr and the questions reach the terminal."""
    import shlex

    import pexpect

    script = f"{shlex.join(argv)} | cat >/dev/null"
    child = pexpect.spawn("bash", ["-c", script], env={**os.environ, **(env or {})}, timeout=60)
    try:
        child.expect_exact(question)
        seen = child.before + child.after
        child.send(answer + ENTER)
        child.expect(pexpect.EOF)
        return bytes(seen + child.before)
    finally:
        child.close(force=True)


def test_the_direct_path_question_escapes_the_profile_name(user: IamUser, isolated: Path) -> None:
    name = f"long{RED}admin"
    (isolated / ".aws" / "config").write_text(
        f"[default]\nmfa_serial = {user.serial}\n[profile {name}]\nrole_arn = arn:aws:iam::222222222222:role/Long\n"
        "source_profile = default\nduration_seconds = 28800\n"
    )
    seen = _tty_bytes([*MFAENV, "login", "--profile", name], b"takes its own code): ", CODE)
    assert b"\x1b" not in seen, seen
    assert b"a 8h session of long\\x1b[31madmin takes its own code" in seen, seen


def test_the_offer_to_save_mfa_serial_escapes_what_it_names(user: IamUser, isolated: Path, tmp_path: Path) -> None:
    folder = tmp_path / f"conf{RED}ig"
    folder.mkdir()
    config = folder / "config"
    config.write_text("[default]\nregion = eu-west-1\n")  # no mfa_serial: IAM is asked, then the offer made
    seen = _tty_bytes([*MFAENV, "login", "--token-code", CODE], b"[y/N] ", "n", {"AWS_CONFIG_FILE": str(config)})
    assert b"\x1b" not in seen, seen
    assert b"conf\\x1b[31mig" in seen, seen


# ---- 3. broken HTTP framing from the endpoint is one line ----


@pytest.mark.parametrize("answer", sorted(FRAMING))
def test_broken_framing_is_one_line(user: IamUser, answer: str) -> None:
    run = Mfaenv(secrets=(user.secret, CODE))
    with FaultSts(answer).running() as sts:
        line = run.fails("login", "--token-code", CODE, code=5, env={"AWS_ENDPOINT_URL_STS": sts.url})
        assert sts.hits >= 1
    assert "internal error" not in line
    assert f"{sts.url} answered with something that is not an STS response" in line, line


# ---- 4. numbers: ASCII digits only, bounded, one line naming the setting ----

#: A superscript two (str.isdigit(), but int() refuses it), Arabic-Indic twelve (int() takes it), 5,000 digits
#: (over Python's int() limit of 4,300), and the same as spans.
ODD_NUMBERS = ["²", "١٢", "1" * 5000, "١٢h", "1" * 5000 + "h"]


def _settings(isolated: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each setting -> (command line, environment) taking the value at {v}."""
    return {
        "--duration": (["login", "--token-code", CODE, "--duration", "{v}"], {}),
        "MFAENV_DURATION": (["login", "--token-code", CODE], {"MFAENV_DURATION": "{v}"}),
        "MFAENV_MARGIN": (["login", "--token-code", CODE], {"MFAENV_MARGIN": "{v}"}),
        "MFAENV_READ_TIMEOUT": (["login", "--token-code", CODE, "--fresh"], {"MFAENV_READ_TIMEOUT": "{v}"}),
        "MFAENV_DEADLINE": (["login", "--token-code", CODE, "--fresh"], {"MFAENV_DEADLINE": "{v}"}),
        "MFAENV_ROTATE_WAIT": (["rotate"], {"MFAENV_ROTATE_WAIT": "{v}"}),
        "--max-age": (["policy", "--max-age", "{v}"], {}),
        "duration_seconds": (["login", "--profile", "r", "--token-code", CODE], {}),
    }


SPANS = ("--duration", "MFAENV_DURATION", "MFAENV_MARGIN", "--max-age")  # also take 15m, 12h
SECONDS = ("MFAENV_READ_TIMEOUT", "MFAENV_DEADLINE", "MFAENV_ROTATE_WAIT", "duration_seconds")  # whole seconds only


@pytest.mark.parametrize(
    ("setting", "value"),
    [(s, v) for s in SPANS for v in ODD_NUMBERS] + [(s, v) for s in SECONDS for v in ODD_NUMBERS if v[-1] != "h"],
    ids=lambda x: x if len(x) < 20 else f"{len(x)}-chars",
)
def test_numbers_are_ascii_digits_and_bounded(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, setting: str, value: str
) -> None:
    config = isolated / ".aws" / "config"
    config.write_text(
        config.read_text() + f"[profile r]\nrole_arn = arn:aws:iam::222222222222:role/R\nsource_profile = default\n"
        f"duration_seconds = {value}\n"
    )
    argv, env = _settings(isolated)[setting]
    line = mfaenv.fails(*(a.format(v=value) for a in argv), code=2, env={k: v.format(v=value) for k, v in env.items()})
    assert setting in line, line
    assert len(line) < 300, line  # the value is shown cut short


def test_the_number_check_itself() -> None:
    from mfaenv.inputs import number, parse_span

    assert [number(t) for t in ("0", "42", "007", "999999999")] == [0, 42, 7, 999999999]
    assert [number(t) for t in ("", "²", "١٢", " 1", "1_0", "+1", "-1", "1" * 10)] == [None] * 8
    assert number("1" * 12, 12) == 111111111111
    assert parse_span("1d12h", "x") == 129600


# ---- 5. export: an Expiration outside years 1-9999 in UTC is one line ----


@pytest.mark.parametrize("expiration", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_export_expiration_out_of_range_is_one_line(cli: Mfaenv, expiration: str) -> None:
    doc = {
        "Version": 1,
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE1",
        "SecretAccessKey": "abc",
        "SessionToken": "tok",
        "Expiration": expiration,
    }
    line = cli.fails("export", code=2, input=json.dumps(doc).encode())
    assert line == f"mfaenv: stdin: Expiration {expiration!r} is outside years 1 to 9999 in UTC", line


# ---- 6. the AWS files' clean-up deletes only our own stale temp files ----


def test_only_our_stale_temp_files_are_deleted(
    user: IamUser, mfaenv: Mfaenv, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = isolated / ".aws"
    backup = aws / ".credentials.backup.tmp"  # the user's own copy, in the pattern the old clean-up took
    backup.write_text("[default]\naws_access_key_id = AKIAOLDOLDOLDOLD\n")
    stale = aws / ".credentials.mfaenv-k3j9x2ab.tmp"  # a writer killed before its rename, long ago
    stale.write_text("secret")
    young = aws / ".credentials.mfaenv-zz9x2abq.tmp"  # as another writer would have it, mid-write
    young.write_text("secret")
    an_hour_ago = time.time() - 3600
    for path in (backup, stale):
        os.utime(path, (an_hour_ago, an_hour_ago))
    r = mfaenv("login", "--write-profile", "--token-code", CODE)
    assert r.code == 0, r
    assert "[default-mfa]" in (aws / "credentials").read_text()
    assert backup.exists() and young.exists()
    assert not stale.exists()
    # The writer's own temp files carry the mark, so a later clean-up finds one a killed writer left.
    from mfaenv.store import atomic

    names: list[str] = []
    real = atomic.tempfile.mkstemp

    def recording(**kw: str) -> tuple[int, str]:
        fd, path = real(**kw)
        names.append(os.path.basename(path))
        return fd, path

    monkeypatch.setattr(atomic.tempfile, "mkstemp", recording)
    atomic.replace(aws / "credentials", b"[x]\n", print, private=True)
    assert len(names) == 1 and names[0].startswith(".credentials.mfaenv-") and names[0].endswith(".tmp"), names


# ---- 7. logout removes the session even when a saved value cannot be given back ----

SESSION_ENV = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE1",
    "AWS_SECRET_ACCESS_KEY": "logoutsecret/KEY",
    "AWS_SESSION_TOKEN": "logouttoken",
    "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z",
    "MFAENV_PROFILE": "work",
    "MFAENV_EXPIRES": "4070908800",
    "MFAENV_SAVED_AWS_DEFAULT_PROFILE": "keep",
}


@pytest.mark.parametrize(
    ("shell", "saved"),
    [("bash", os.fsdecode(b"prod\xff")), ("tcsh", "prod\nline")],  # not UTF-8; a line break tcsh can't hold
    ids=["bash-not-utf8", "tcsh-line-break"],
)
def test_logout_removes_the_session_and_names_what_it_could_not_restore(
    isolated: Path, tmp_path: Path, shell: str, saved: str
) -> None:
    env = {**os.environ, **SESSION_ENV, "MFAENV_SAVED_AWS_PROFILE": saved}
    dumped, err = evaluate(shell, f"{' '.join(MFAENV)} logout --shell {shell}", tmp_path, env)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MFAENV_PROFILE", "MFAENV_EXPIRES"):
        assert name not in dumped, name
    assert dumped.get("AWS_DEFAULT_PROFILE") == "keep"  # what could be given back was
    assert "AWS_PROFILE" not in dumped and "MFAENV_SAVED_AWS_PROFILE" not in dumped
    (line,) = err.splitlines()
    assert line.startswith(
        "mfaenv: warning: logged out, but AWS_PROFILE was not restored from MFAENV_SAVED_AWS_PROFILE: "
    ), line
    assert "the value of AWS_PROFILE" not in line, line


def test_every_completion_that_offers_profiles_quotes_them_for_bash(isolated: Path) -> None:
    from tests.test_completion import DOCUMENTED, _bash_complete

    (isolated / ".aws" / "config").write_text(f"[profile {EVIL}]\n[profile work]\n")
    quoted = "evil\\$\\(touch\\ pwned\\)"  # what bash's printf %q makes of it
    for line in (
        "mfaenv login --profile ev",
        "mfaenv exec --profile ev",
        "mfaenv logout --profile ev",
        "mfaenv add ev",
        "mfaenv clear ev",
    ):
        assert _bash_complete(line, DOCUMENTED) == [quoted], line
    assert _bash_complete("mfaenv login --profile w", DOCUMENTED) == ["work"]  # plain words stay as they are
