"""The fast path: the common forms of status, logout, init, export, login and credential-process, without click.

`login work` and `credential-process work` (a positional PROFILE) are common forms too.

These run in every prompt-adjacent moment of a user's day (a new terminal, a
script checking `status`), and importing click alone costs about twice a bare
Python start. So the plain forms are recognised here with a strict grammar;
anything else (--help, an unknown or misspelt option, a missing value) is left
to click, which gives the usual help and one-line errors. Both paths call the
same functions in mfaenv.cli.commands; tests compare their outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable

# command -> (flags, options taking a value (alias -> name), positional names)
_Spec = tuple[dict[str, str], dict[str, str], tuple[str, ...]]
_LOGIN_OPTIONS = {
    "--profile": "profile",
    "-p": "profile",
    "--serial-number": "serial_number",
    "--token-code": "token_code",
    "--token-command": "token_command",
    "--duration": "duration",
    "-d": "duration",
    "--shell": "shell_name",
    "--region": "region",
}
_SESSION_OPTIONS = {k: v for k, v in _LOGIN_OPTIONS.items() if v not in ("shell_name", "region")}
GRAMMAR: dict[str, _Spec] = {
    "status": ({"--json": "as_json"}, {}, ()),
    "logout": ({}, {"--shell": "shell_name"}, ()),
    "init": ({"--prompt": "prompt"}, {}, ("shell_name",)),
    "export": ({}, {"--shell": "shell_name", "--label": "label"}, ("file",)),
    "login": ({"--fresh": "fresh"}, _LOGIN_OPTIONS, ("profile_arg",)),
    # Every SDK process using a credential_process profile runs this: as fast as a cached login.
    "credential-process": ({"--fresh": "fresh"}, _SESSION_OPTIONS, ("profile_arg",)),
}


def parse(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """(command, keyword arguments), or None when click should handle argv."""
    if not argv or argv[0] not in GRAMMAR:
        return None
    flags, options, positionals = GRAMMAR[argv[0]]
    kwargs: dict[str, object] = {}
    rest = list(argv[1:])
    free = list(positionals)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in flags and not eq and flags[name] not in kwargs:
            kwargs[flags[name]] = True
        elif name in options and options[name] not in kwargs:
            if not eq:
                if not rest:
                    return None  # a missing value: click words the error
                value = rest.pop(0)
            kwargs[options[name]] = value
        elif arg.startswith("-") and arg != "-":
            return None  # help, version, or anything we do not know
        elif free:
            kwargs[free.pop(0)] = arg
        else:
            return None
    if argv[0] == "export" and kwargs.get("file") not in (None, "-") and not os.path.isfile(str(kwargs["file"])):
        return None  # click words a missing or odd FILE its own way
    return argv[0], kwargs


def run(command: str, kwargs: dict[str, object]) -> int:
    if command == "status":
        from mfaenv.cli import info as module
    else:
        from mfaenv.cli import commands as module
    handler: Callable[..., int | None] = getattr(module, command.replace("-", "_"))
    return handler(**kwargs) or 0
