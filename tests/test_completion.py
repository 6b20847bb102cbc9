"""Shell completion, click's own, driven in the real shells as a user's <TAB> would drive it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realshells import require

BIN = os.path.dirname(sys.executable)  # the console script `mfaenv`, as installed


@pytest.fixture
def profiles(isolated: Path) -> Path:
    """Profiles in both files, and one in a file named by AWS_CONFIG_FILE."""
    (isolated / ".aws" / "credentials").write_text("[work]\naws_access_key_id = AKIAX\n[wonder]\nx = 1\n")
    (isolated / ".aws" / "config").write_text("[profile workshop]\nregion = eu-west-1\n[default]\n")
    return isolated


def _bash_complete(line: str, source: str, env: dict[str, str] | None = None) -> list[str]:
    """COMPREPLY for `line` (the cursor at its end), from the function `complete -p mfaenv` names."""
    require("bash")
    script = f"""
{source}
spec=$(complete -p mfaenv)
func=${{spec##*-F }}; func=${{func%% *}}
read -r -a COMP_WORDS <<< "$LINE"
[[ $LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE=$LINE COMP_POINT=${{#LINE}}
"$func" mfaenv "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    p = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        capture_output=True,
        env={**os.environ, **(env or {}), "LINE": line, "PATH": f"{BIN}:{os.environ['PATH']}"},
        timeout=60,
    )
    assert p.returncode == 0 and not p.stderr, p.stderr.decode()
    return [w for w in p.stdout.decode().splitlines() if w]


DOCUMENTED = 'eval "$(_MFAENV_COMPLETE=bash_source mfaenv)"'


def test_bash_completes_commands_profiles_shells_and_durations(profiles: Path, tmp_path: Path) -> None:
    assert {"login", "logout", "list", "clear", "credential-process"} <= set(_bash_complete("mfaenv ", DOCUMENTED))
    assert _bash_complete("mfaenv login --profile wo", DOCUMENTED) == ["wonder", "work", "workshop"]
    assert _bash_complete("mfaenv login --shell fi", DOCUMENTED) == ["fish"]
    assert "12h" in _bash_complete("mfaenv login --duration ", DOCUMENTED)
    # AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE are honoured.
    other = tmp_path / "other-config"
    other.write_text("[profile elsewhere]\n")
    assert _bash_complete("mfaenv exec --profile e", DOCUMENTED, {"AWS_CONFIG_FILE": str(other)}) == ["elsewhere"]


def test_completing_imports_no_botocore(profiles: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mfaenv"],
        env={
            **os.environ,
            "_MFAENV_COMPLETE": "bash_complete",
            "COMP_WORDS": "mfaenv login --profile w",
            "COMP_CWORD": "3",
        },
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0
    assert b"plain,work" in p.stdout
    assert b"botocore" not in p.stderr and b"boto3" not in p.stderr


def test_fish_loads_clicks_completion_from_the_documented_line(profiles: Path) -> None:
    require("fish")
    p = subprocess.run(
        [
            "fish",
            "--no-config",
            "-c",
            "_MFAENV_COMPLETE=fish_source mfaenv | source; complete -C'mfaenv login --profile wo'",
        ],
        capture_output=True,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        timeout=60,
    )
    assert p.stdout.decode().split() == ["wonder", "work", "workshop"], p.stderr.decode()


HOOKED = 'eval "$(mfaenv init bash)"; eval "$(mfaenv init bash)"'  # loaded twice: one completer


def test_the_bash_hook_sets_up_completion_once_and_lazily(profiles: Path) -> None:
    require("bash")
    p = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", f"{HOOKED}; complete -p mfaenv"],
        capture_output=True,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        timeout=60,
    )
    # Only the loader at shell start: click's script is asked for at the first <TAB>.
    assert p.stdout.decode() == "complete -o nosort -F _mfaenv_complete mfaenv\n", p.stderr.decode()
    assert _bash_complete("mfaenv login --profile wo", HOOKED) == ["wonder", "work", "workshop"]
    assert _bash_complete("mfaenv cl", HOOKED) == ["clear"]


def test_the_fish_hook_completes_profiles(profiles: Path) -> None:
    require("fish")
    p = subprocess.run(
        [
            "fish",
            "--no-config",
            "-c",
            "mfaenv init fish | source; mfaenv init fish | source; complete -C'mfaenv login --profile wo'; "
            "complete -C'mfaenv login --shell zs'",
        ],
        capture_output=True,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        timeout=60,
    )
    assert p.stdout.decode().split() == ["wonder", "work", "workshop", "zsh"], p.stderr.decode()


def test_zsh_completes_at_a_real_tab_with_the_hook(profiles: Path, isolated: Path) -> None:
    import pexpect

    require("zsh")
    zdot = isolated / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text("autoload -Uz compinit && compinit -u\neval \"$(mfaenv init zsh)\"\nPROMPT='%% '\n")
    env = {**os.environ, "ZDOTDIR": str(zdot), "PATH": f"{BIN}:{os.environ['PATH']}", "TERM": "dumb"}
    child = pexpect.spawn("zsh", ["-i"], env=env, timeout=30, encoding="utf-8")
    try:
        child.expect("% ")
        child.send("mfaenv login --profile works\t")
        child.expect("workshop")
        child.send("\x15")  # Ctrl-U: drop the line
        child.send("mfaenv logi\t")
        child.expect("login")
    finally:
        child.close(force=True)


def test_key_commands_complete_profiles(profiles: Path) -> None:
    for command in ("add", "clear"):
        assert _bash_complete(f"mfaenv {command} wo", DOCUMENTED) == ["wonder", "work", "workshop"], command
    # rotate and remove offer only profiles holding keys (tests/test_keys_round3.py): none here has a secret.
    for command in ("rotate", "remove"):
        assert _bash_complete(f"mfaenv {command} wo", DOCUMENTED) == [], command
