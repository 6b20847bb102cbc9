"""Issue 19, round 3 at the edges: completion, questions, the HTTP edge, numbers, export, temp files, logout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

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
