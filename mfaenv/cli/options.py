"""The options several commands share, and what TAB completes for them (click's own completion). Thin.

Completion reads only the AWS files and mfaenv's own tables: no AWS call.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click
from click.shell_completion import BashComplete, add_completion_class

from mfaenv.errors import MfaenvError

# click's bash script inserts each candidate unquoted and globbed (`COMPREPLY+=($value)`), and its
# `read` drops backslashes: a profile named `x$(cmd)` would complete to a line that runs cmd. This
# one reads each line raw and inserts it quoted by bash itself (printf %q), unglobbed.
_BASH_SOURCE = """\
%(complete_func)s() {
    local IFS=$'\\n' response completion type value
    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD %(complete_var)s=bash_complete "$1")
    while IFS= read -r completion; do
        type=${completion%%%%,*} value=${completion#*,}
        if [[ $type == dir ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == file ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == plain ]]; then
            printf -v value %%q "$value"
            COMPREPLY+=("$value")
        fi
    done <<< "$response"
    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""


class QuotingBashComplete(BashComplete):
    """click's bash completion, with candidates quoted for bash (every command's, profiles included)."""

    source_template = _BASH_SOURCE


add_completion_class(QuotingBashComplete, "bash")


def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Profile names from the config and credentials files (AWS_CONFIG_FILE, ...): no AWS call."""
    from mfaenv.store.config import parsed

    try:
        names = parsed(os.environ)[0]
    except MfaenvError:
        return []
    return [n for n in sorted(names) if n.startswith(incomplete)]


def complete_shells(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from mfaenv import shells

    return [n for n in shells.names() if n.startswith(incomplete)]


def complete_hook_shells(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from mfaenv.shells.hooks import HOOKS

    return [n for n in sorted(HOOKS) if n.startswith(incomplete)]


#: What users usually ask for; any span is accepted.
USUAL_DURATIONS = ("15m", "1h", "4h", "8h", "12h", "36h")


def complete_durations(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [d for d in USUAL_DURATIONS if d.startswith(incomplete)]


#: A positional PROFILE (`mfaenv login work`), as aws-vault and awsume take it; --profile does the same.
profile_argument = click.argument("profile_arg", metavar="[PROFILE]", required=False, shell_complete=complete_profiles)


region_option = click.option(
    "--region",
    metavar="NAME",
    help="Region to set (AWS_REGION, AWS_DEFAULT_REGION); default: the profile's, unless the shell sets one.",
)


shell_option = click.option(
    "--shell",
    "shell_name",
    metavar="NAME",
    shell_complete=complete_shells,
    help="Shell to print for (default: detected; MFAENV_SHELL also sets it).",
)


def login_options(f: Callable[..., None]) -> Callable[..., None]:
    """The options every command that may start a session takes."""
    for option in reversed(
        [
            click.option(
                "--profile",
                "-p",
                metavar="NAME",
                shell_complete=complete_profiles,
                help="Profile: long-term keys, or a role (role_arn, source_profile) (default: AWS_PROFILE, "
                "else AWS_DEFAULT_PROFILE, else the profile of this shell's session (MFAENV_PROFILE), else default).",
            ),
            click.option(
                "--serial-number",
                metavar="ARN",
                help="MFA device ARN (default: MFAENV_MFA_SERIAL, mfa_serial, or IAM lookup).",
            ),
            click.option("--token-code", metavar="CODE", help="The 6-digit MFA code (default: ask on the terminal)."),
            click.option("--token-command", metavar="CMD", help="Command that prints the MFA code (ykman, op, ...)."),
            click.option(
                "--duration",
                "-d",
                metavar="SPAN",
                shell_complete=complete_durations,
                help="Session length: seconds, or 15m, 12h, 1d12h (default: MFAENV_DURATION, else 12h; "
                "for a role: duration_seconds, else 1h, and over 1h takes a code).",
            ),
            click.option(
                "--fresh",
                is_flag=True,
                help="Ask STS for a new session even if a cached one is still good. For a role: a new role "
                "session, signed by the cached MFA session (no code while that one is good); to renew the "
                "MFA session too, run `mfaenv login --fresh --profile SOURCE` first.",
            ),
        ]
    ):
        f = option(f)
    return f


keyring_option = click.option(
    "--keyring",
    "kind",
    type=click.Choice(["system", "file", "pass"]),
    help="Where to keep the keys: the OS keyring (default; MFAENV_KEYRING also sets it), an encrypted file, or pass.",
)
