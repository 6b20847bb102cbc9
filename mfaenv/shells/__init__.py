"""Shell registry and detection.

One module per shell (or family) behind the small interface in base.py.
Detection asks shellingham for the nearest shell process, then falls back to
$SHELL (%COMSPEC% on Windows); `--shell` and MFAENV_SHELL override both.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
from collections.abc import Mapping

from mfaenv.errors import MfaenvError
from mfaenv.shells.base import Shell
from mfaenv.shells.cmd import Cmd
from mfaenv.shells.csh import Tcsh
from mfaenv.shells.elvish import Elvish
from mfaenv.shells.fish import Fish
from mfaenv.shells.nushell import Nushell
from mfaenv.shells.posix import Posix
from mfaenv.shells.powershell import PowerShell
from mfaenv.shells.xonsh import Xonsh

__all__ = ["SHELLS", "Shell", "detect", "lookup", "names"]

#: Every accepted name, mapped to its shell class.
SHELLS: dict[str, type[Shell]] = {
    alias: cls for cls in (Posix, Fish, PowerShell, Cmd, Tcsh, Nushell, Elvish, Xonsh) for alias in cls.aliases
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
    cls = SHELLS.get(alias)
    return cls(alias) if cls else None


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
