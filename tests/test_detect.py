"""Which shell to print for: --shell, MFAENV_SHELL, the parent process, $SHELL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import shellingham

from mfaenv import shells
from mfaenv.errors import MfaenvError
from tests.helpers import MFAENV
from tests.realshells import require

DOC = json.dumps({"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t"})

#: A line only that shell's renderer prints, for the session token.
SIGNATURE = {
    "bash": "export AWS_SESSION_TOKEN='t';",
    "zsh": "export AWS_SESSION_TOKEN='t';",
    "dash": "export AWS_SESSION_TOKEN='t';",
    "ksh": "export AWS_SESSION_TOKEN='t';",
    "fish": "set -gx AWS_SESSION_TOKEN 't';",
    "tcsh": "setenv AWS_SESSION_TOKEN 't';",
    "nu": '"AWS_SESSION_TOKEN": "t"',
    "elvish": "set-env AWS_SESSION_TOKEN 't';",
    "xonsh": "'AWS_SESSION_TOKEN': 't'",
}


@pytest.mark.parametrize("shell", sorted(SIGNATURE))
def test_detects_the_real_parent_shell(shell: str, tmp_path: Path) -> None:
    require(shell)
    doc = tmp_path / "doc.json"
    doc.write_text(DOC)
    out = tmp_path / "out.txt"
    # Two statements, so no shell can exec mfaenv in its own place.
    cmd = {"nu": f"^{' '.join(MFAENV)} export {doc} | save {out}; print ok"}.get(
        shell, f"{' '.join(MFAENV)} export {doc} > {out}; echo ok"
    )
    if shell == "xonsh":
        cmd = f"{' '.join(MFAENV)} export {doc} > {out}\necho ok"
    argv = {"nu": ["nu", "--no-config-file", "-c", cmd], "tcsh": ["tcsh", "-f", "-c", cmd]}.get(
        shell, [shell, "-c", cmd]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MFAENV_SHELL", "SHELL")}
    p = subprocess.run(argv, capture_output=True, env=env, timeout=60, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert SIGNATURE[shell] in out.read_text()


def _no_shellingham(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> tuple[str, str]:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fail)


def test_falls_back_to_SHELL(monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: N802
    _no_shellingham(monkeypatch)
    assert shells.resolve(None, {"SHELL": "/usr/local/bin/fish"}).name == "fish"


def test_neither_detection_nor_SHELL_lists_choices(monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: N802
    _no_shellingham(monkeypatch)
    with pytest.raises(MfaenvError, match=r"could not tell which shell this is; pass --shell, one of: ash, bash, "):
        shells.resolve(None, {})


def test_override_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shellingham, "detect_shell", lambda: ("zsh", "/bin/zsh"))
    assert shells.resolve("fish", {"MFAENV_SHELL": "tcsh"}).name == "fish"
    assert shells.resolve(None, {"MFAENV_SHELL": "tcsh"}).name == "tcsh"
    assert shells.resolve(None, {"SHELL": "/bin/fish"}).alias == "zsh"


@pytest.mark.parametrize(
    ("reported", "name"),
    [
        ("-bash", "bash"),
        ("-zsh", "bash"),
        ("/usr/bin/fish", "fish"),
        ("pwsh.exe", "pwsh"),
        ("POWERSHELL.EXE", "pwsh"),
        ("C:\\Windows\\System32\\cmd.exe", "cmd"),
        ("csh", "tcsh"),
        ("nu", "nu"),
        ("ash", "bash"),
        ("-tcsh", "tcsh"),
    ],
)
def test_names_normalised(reported: str, name: str) -> None:
    shell = shells.lookup(reported)
    assert shell is not None and shell.name == name


def test_every_name_shellingham_can_return_is_supported() -> None:
    from shellingham._core import SHELL_NAMES

    assert set(SHELL_NAMES) <= set(shells.SHELLS)


#: Printable ASCII without whitespace, the shape STS tokens have, and each a payload somewhere.
EVIL = {
    "Version": 1,
    "AccessKeyId": "AKIAEXAMPLE",
    "SecretAccessKey": "s$(touch${IFS}pwned1)`touch${IFS}pwned2`",
    "SessionToken": "t';touch${IFS}pwned3;'\";touch${IFS}pwned4;\"\\';touch${IFS}pwned5;#",
}


@pytest.mark.parametrize("inherited", ["nu", "fish", "tcsh", "elvish", "xonsh", "pwsh", "cmd"])
def test_an_inherited_MFAENV_SHELL_runs_nothing_in_bash(inherited: str, tmp_path: Path) -> None:  # noqa: N802
    # MFAENV_SHELL=nu in a parent is inherited by a child bash, which then
    # evaluates nushell's JSON: it must fail to do anything, not run a value.
    require("bash")
    doc = tmp_path / "evil.json"
    doc.write_text(json.dumps(EVIL))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "MFAENV_SHELL": inherited}
    subprocess.run(
        ["bash", "--norc", "-c", f'eval "$({" ".join(MFAENV)} export {doc})"'],
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )
    assert list(cwd.iterdir()) == []
