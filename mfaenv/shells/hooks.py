"""The shell hooks in shell-hooks/, printed by `mfaenv init SHELL`.

They are real script files so linters (shellcheck, fish_indent) read them as
they are; the wheel carries them as mfaenv/shell-hooks.
"""

from __future__ import annotations

from pathlib import Path

from mfaenv.errors import MfaenvError

#: shell alias -> (hook file, the line `--prompt` appends, the rc file and
#: line that load the hook, for hints; "" where that takes more than a line)
HOOKS: dict[str, tuple[str, str, str, str]] = {
    "bash": ("mfaenv.bash", "_mfaenv_install_prompt", "~/.bashrc", 'eval "$(mfaenv init bash)"'),
    "zsh": ("mfaenv.zsh", "_mfaenv_install_prompt", "~/.zshrc", 'eval "$(mfaenv init zsh)"'),
    "fish": ("mfaenv.fish", "_mfaenv_install_prompt", "config.fish", "mfaenv init fish | source"),
    "pwsh": ("mfaenv.ps1", "_mfaenv_install_prompt", "$PROFILE", "mfaenv init pwsh | Out-String | Invoke-Expression"),
    "powershell": (
        "mfaenv.ps1",
        "_mfaenv_install_prompt",
        "$PROFILE",
        "mfaenv init powershell | Out-String | Invoke-Expression",
    ),
    # tcsh reads ~/.cshrc only when there is no ~/.tcshrc (csh is tcsh on Debian and macOS).
    "tcsh": ("mfaenv.tcsh", "_mfaenv_install_prompt", "~/.tcshrc (or ~/.cshrc)", 'eval "`mfaenv init tcsh`"'),
    "csh": ("mfaenv.tcsh", "_mfaenv_install_prompt", "~/.tcshrc (or ~/.cshrc)", 'eval "`mfaenv init csh`"'),
    "nu": ("mfaenv.nu", "_mfaenv_install_prompt", "", ""),
    "cmd": ("mfaenv.cmd", "", "", ""),
}


def rc_hint(alias: str, command: str = "login") -> str:
    """How to load the hook, as a clause for a one-line message; empty where it takes more than a line."""
    _, _, rc, line = HOOKS.get(alias, ("", "", "", ""))
    return f", or put `{line}` in {rc} and run plain `mfaenv {command}`" if line else ""


def _folder() -> Path:
    packaged = Path(__file__).parent.parent / "shell-hooks"  # in the wheel: mfaenv/shell-hooks
    return packaged if packaged.is_dir() else Path(__file__).parents[2] / "shell-hooks"  # in a checkout


def hook(alias: str, prompt: bool) -> str:
    if alias not in HOOKS:
        raise MfaenvError(
            f"no hook for {alias} yet; hooks exist for {', '.join(sorted(HOOKS))}. Without one, "
            "evaluate mfaenv's output yourself (see docs/shells.md)"
        )
    name, prompt_line, _, _ = HOOKS[alias]
    path = _folder() / name
    if name == "mfaenv.tcsh":
        return _tcsh_loader(path, prompt)
    text = path.read_bytes().decode("utf-8")  # as is: the .cmd file keeps its CRLF
    if prompt:
        if not prompt_line:
            raise MfaenvError(f"{alias} cannot compute a prompt; its hook shows the end time in the prompt already")
        text += f"{prompt_line}\n"
    return text


def _tcsh_loader(path: Path, prompt: bool) -> str:
    """csh has no functions: aliases that source the hook file with their arguments."""
    from mfaenv.shells.csh import Tcsh

    lines = [
        f"set _mfaenv_hook = {Tcsh().quote(str(path))};",
        "alias mfaenv 'source \"$_mfaenv_hook\" \\!*';",
        # Chain a precmd the user already has; loading twice adds nothing.
        'if ( `alias precmd` !~ *_mfaenv_hook* ) alias precmd \'set _mfaenv_rc = $status; source "$_mfaenv_hook"; \'"`alias precmd`";',
    ]
    if prompt:
        # csh substitutes a whole line before it tests the `if`, so the
        # possibly-unset $prompt sits in a quoted eval.
        lines.append("if ( ! $?_mfaenv_user_prompt && $?prompt ) eval 'set _mfaenv_user_prompt = \"$prompt:q\"';")
    return "\n".join(lines) + "\n"
