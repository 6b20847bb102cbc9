"""Shell registry and detection.

One module per shell (or family) behind the small interface in base.py.
Detection asks shellingham for the nearest shell process, then falls back to
$SHELL (%COMSPEC% on Windows); `--shell` and MFAENV_SHELL override both.

MFAENV_SHELL is inherited by every child shell, so a bash started from nu
may print nushell's JSON for bash to evaluate. That is not guessed away here:
the override exists for when detection is wrong, and a `--shell` copied into
the wrong line or a pipe into the wrong shell would remain. Instead every
renderer's output is inert in every other shell (base.py), and the hooks pass
`--shell` themselves.
"""

from __future__ import annotations

import importlib
import ntpath
import os
import posixpath
from collections.abc import Mapping

from mfaenv.errors import MfaenvError
from mfaenv.shells.base import Shell

__all__ = ["SHELLS", "Shell", "detect", "lookup", "names"]

#: Every accepted name -> (module, class). A shell's module is imported only
#: when that shell is used: one small module instead of eight on every run.
SHELLS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("bash", "zsh", "sh", "dash", "ash", "ksh", "ksh93", "mksh", "yash", "busybox"), ("posix", "Posix")
    ),
    "fish": ("fish", "Fish"),
    "pwsh": ("powershell", "PowerShell"),
    "powershell": ("powershell", "PowerShell"),
    "cmd": ("cmd", "Cmd"),
    "tcsh": ("csh", "Tcsh"),
    "csh": ("csh", "Tcsh"),
    "nu": ("nushell", "Nushell"),
    "nushell": ("nushell", "Nushell"),
    "elvish": ("elvish", "Elvish"),
    "xonsh": ("xonsh", "Xonsh"),
}


def names() -> list[str]:
    return sorted(SHELLS)


def _normalise(name: str) -> str:
    # A path or a Windows program name reduces to its stem; a login shell's
    # process name starts with `-` (`-bash`).
    base = posixpath.basename(ntpath.basename(name.strip())).lower()
    if base.endswith(".exe"):
        base = base[:-4]
    return base.lstrip("-")


def lookup(name: str) -> Shell | None:
    alias = _normalise(name)
    if alias not in SHELLS:
        return None
    module, cls = SHELLS[alias]
    return getattr(importlib.import_module(f"mfaenv.shells.{module}"), cls)(alias)  # type: ignore[no-any-return]


def resolve(requested: str | None, env: Mapping[str, str]) -> Shell:
    """The shell to print for: `--shell`, MFAENV_SHELL, detection, $SHELL/%COMSPEC%."""
    for source, name in (("--shell", requested), ("MFAENV_SHELL", env.get("MFAENV_SHELL"))):
        if name:
            shell = lookup(name)
            if shell is None:
                raise MfaenvError(f"unknown shell {name!r} from {source}; use one of: {', '.join(names())}")
            return shell
    shell = detect(env)
    if shell is None:
        raise MfaenvError(f"could not tell which shell this is; pass --shell, one of: {', '.join(names())}")
    return shell


def detect(env: Mapping[str, str]) -> Shell | None:
    shell = _retitled_parent()
    if shell is None:
        try:
            import shellingham

            name, _path = shellingham.detect_shell()
        except (ImportError, OSError):  # ShellDetectionFailure is an OSError
            name = ""
        shell = lookup(name) if name else None
    if shell is None:
        fallback = env.get("COMSPEC" if os.name == "nt" else "SHELL", "")
        shell = lookup(fallback) if fallback else None
    return shell


def _retitled_parent() -> Shell | None:
    """The parent shell if it renamed its process, which shellingham misreads.

    xonsh sets its title to one argument, `xonsh --no-rc -c ...`; shellingham
    takes the whole string as the program name, skips it, and reports the
    shell that started xonsh instead.
    """
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            first = f.read().split(b"\0", 1)[0].decode("utf-8", "replace")
    except OSError:
        return None
    words = first.split()
    return lookup(words[0]) if len(words) > 1 else None
