"""Issue 19, round 3 at the edges: completion, questions, the HTTP edge, numbers, export, temp files, logout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import CODE, IamUser
from tests.helpers import MFAENV
from tests.realshells import require
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
    import pexpect
    import shlex

    child = pexpect.spawn("bash", ["-c", f"{shlex.join(argv)} | cat >/dev/null"], env={**os.environ, **(env or {})}, timeout=60)
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
