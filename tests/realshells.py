"""Evaluate statements in real shells the way users do, then read the environment back.

Each shell runs `PRODUCER` (a command that prints statements: mfaenv itself,
or `cat FILE` for batches of generated values) through its own eval idiom,
then starts a child (`env -0`) whose environment is what any program the user
starts would see. A shell missing here is skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ENV_DUMP = "/usr/bin/env -0"

#: shell -> (binary, argv builder taking the evaluation script)
_SCRIPTS: dict[str, Callable[[str], str]] = {
    "bash": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "dash": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "sh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "zsh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "ksh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "fish": lambda p: f"{p} | source; and {ENV_DUMP}",
    "tcsh": lambda p: f'eval "`{p}`"; {ENV_DUMP}',
    "csh": lambda p: f'eval "`{p}`"; {ENV_DUMP}',
    "nu": lambda p: f"{p} | from json | load-env; ^{ENV_DUMP}",
    "elvish": lambda p: f"eval ({p} | slurp); {ENV_DUMP}",
    # Not `exec($(...))`: xonsh's threaded capture of `$(...)` loses a fast
    # child's output now and then under load (xonsh/xonsh#1758, #6456), and
    # `cat` is fast. What is tested here is xonsh running our statements;
    # test_login runs the literal `exec($(mfaenv login))` idiom as well.
    "xonsh": lambda p: (
        f"import subprocess; exec(subprocess.run({p!r}, shell=True, stdout=subprocess.PIPE, encoding='utf-8', check=True).stdout); {ENV_DUMP}"
    ),
}

#: Strict flags in the manner of zoxide's shell tests.
ARGV: dict[str, list[str]] = {
    "bash": ["bash", "--noprofile", "--norc", "-e", "-u", "-o", "pipefail", "-c"],
    "dash": ["dash", "-e", "-u", "-c"],
    "sh": ["sh", "-e", "-u", "-c"],
    "zsh": ["zsh", "--no-rcs", "-e", "-u", "-o", "pipefail", "-c"],
    "ksh": ["ksh", "-e", "-u", "-c"],
    "fish": ["fish", "--no-config", "--private", "-c"],
    "tcsh": ["tcsh", "-f", "-e", "-c"],
    "csh": ["csh", "-f", "-e", "-c"],
    "nu": ["nu", "--no-config-file", "--no-std-lib", "-c"],
    "elvish": ["elvish", "-norc", "-c"],
    "xonsh": ["xonsh", "--no-rc", "--no-script-cache", "-c"],
}

SHELLS = tuple(_SCRIPTS)

#: Generated values that round-tripped, per shell, with no mismatch and no
#: executed payload (a failure stops the test); printed in the run's summary.
TRIED: dict[str, int] = {}


def require(shell: str) -> str:
    """The shell's binary; skip if missing, except in CI where missing is a failure."""
    path = shutil.which(ARGV[shell][0])
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{shell} is not installed, and CI must run every shell's tests (.ci/run installs it)")
        pytest.skip(f"{shell} is not installed")
    return path


def evaluate(shell: str, producer: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """Run `producer`'s output through `shell`'s eval idiom; the child's environment and the shell's stderr."""
    require(shell)
    argv = [*ARGV[shell], _SCRIPTS[shell](producer)]
    p = subprocess.run(
        argv,
        capture_output=True,
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        timeout=120,
        start_new_session=True,
    )
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, f"{shell} exited {p.returncode}: {err[-3000:]}"
    dumped = {}
    for entry in p.stdout.split(b"\0"):
        if b"=" in entry:
            k, _, v = entry.partition(b"=")
            dumped[k.decode()] = v.decode("utf-8", "surrogateescape")
    return dumped, err
