"""The command line, with click: options, help and usage errors. Thin.

The commands' bodies are in mfaenv.cli.commands; mfaenv.cli.main runs the common
forms of the fast commands without importing click at all (mfaenv.cli.fast), and
everything else, --help and every mistake included, through here.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from mfaenv import __version__
from mfaenv.cli import commands
from mfaenv.errors import Exit, MfaenvError, oneline
from mfaenv.plan import plan_login


def _complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Profile names from the config and credentials files (AWS_CONFIG_FILE, ...): no AWS call."""
    from mfaenv.store.config import _profiles

    try:
        names = _profiles(os.environ)[0]
    except MfaenvError:
        return []
    return [n for n in sorted(names) if n.startswith(incomplete)]


def _complete_shells(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from mfaenv import shells

    return [n for n in shells.names() if n.startswith(incomplete)]


def _complete_hook_shells(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from mfaenv.shells.hooks import HOOKS

    return [n for n in sorted(HOOKS) if n.startswith(incomplete)]


#: What users usually ask for; any span is accepted.
_USUAL_DURATIONS = ("15m", "1h", "4h", "8h", "12h", "36h")


def _complete_durations(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [d for d in _USUAL_DURATIONS if d.startswith(incomplete)]


_region_option = click.option(
    "--region",
    metavar="NAME",
    help="Region to set (AWS_REGION, AWS_DEFAULT_REGION); default: the profile's, unless the shell sets one.",
)
_shell_option = click.option(
    "--shell",
    "shell_name",
    metavar="NAME",
    shell_complete=_complete_shells,
    help="Shell to print for (default: detected; MFAENV_SHELL also sets it).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="mfaenv")
@click.option("--debug", is_flag=True, help="Show a traceback on failure (secrets stay hidden).")
def main(debug: bool) -> None:
    """Use AWS MFA sessions in your shell: GetSessionToken, printed as shell code."""


def _login_options(f: Callable[..., None]) -> Callable[..., None]:
    """The options every command that may start a session takes."""
    for option in reversed(
        [
            click.option(
                "--profile",
                "-p",
                metavar="NAME",
                shell_complete=_complete_profiles,
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
                shell_complete=_complete_durations,
                help="Session length: seconds, or 15m, 12h, 1d12h (default: MFAENV_DURATION, else 12h; "
                "for a role: duration_seconds, else 1h, and over 1h takes a code).",
            ),
            click.option("--fresh", is_flag=True, help="Ask STS for a new session even if a cached one is still good."),
        ]
    ):
        f = option(f)
    return f


@main.command("login")
@_login_options
@click.option(
    "--write-profile",
    metavar="NAME",
    is_flag=False,
    flag_value="",
    default=None,
    help="Also write the session into [NAME] of the credentials file (default NAME: <profile>-mfa).",
)
@click.option("--no-env", is_flag=True, help="With --write-profile: print no statements (for cron and scripts).")
@_region_option
@_shell_option
def login(**opts: Any) -> None:
    """Start an MFA session (or reuse a cached one) and print the statements that set it."""
    commands.login(**opts)


@main.command()
@click.option("--forget", is_flag=True, help="Also delete the cached session, so no terminal reuses it.")
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    shell_complete=_complete_profiles,
    help="Profile whose cached sessions --forget deletes (default: this shell's).",
)
@click.option("--write-profile", metavar="NAME", help="Remove section [NAME] that `login --write-profile` wrote.")
@click.option("--no-env", is_flag=True, help="With --write-profile: print no statements.")
@_shell_option
def logout(**opts: Any) -> None:
    """Print the statements that end the session in this shell."""
    commands.logout(**opts)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--label", metavar="NAME", help="Name shown as the session's profile (MFAENV_PROFILE).")
@_shell_option
def export(**opts: Any) -> None:
    """Print statements for STS JSON read from FILE or stdin.

    Takes `aws sts get-session-token` output or credential_process JSON.
    """
    commands.export(**opts)


@main.command()
@click.argument("shell_name", metavar="[SHELL]", required=False, shell_complete=_complete_hook_shells)
@click.option("--prompt", is_flag=True, help="Also put the segment in front of your prompt.")
def init(**opts: Any) -> None:
    """Print the shell hook: `mfaenv login` then changes the shell it runs in.

    \b
    bash:  eval "$(mfaenv init bash)"        in ~/.bashrc
    zsh:   eval "$(mfaenv init zsh)"         in ~/.zshrc
    fish:  mfaenv init fish | source         in config.fish
    pwsh:  mfaenv init pwsh | Out-String | Invoke-Expression   in $PROFILE
           (or powershell, for Windows PowerShell 5.1)
    tcsh:  eval "`mfaenv init tcsh`"         in ~/.tcshrc (csh: ~/.cshrc)
    nu:    mfaenv init nu | save -f ~/.config/nushell/mfaenv.nu, then
           source ~/.config/nushell/mfaenv.nu            in config.nu
    cmd:   mfaenv init cmd > "%USERPROFILE%\\bin\\mfaenv.cmd"  (ahead of mfaenv.exe on PATH)
    """
    commands.init(**opts)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a sentence.")
def status(as_json: bool) -> None:
    """Show this shell's session: profile, expiry, time left. No AWS call.

    \b
    Exit status: 0 valid, 10 expiring within the margin (MFAENV_MARGIN,
    default 15m), 11 expired, 12 no session.
    """
    raise click.exceptions.Exit(commands.status(as_json))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of sentences.")
def whoami(as_json: bool) -> None:
    """Who the credentials in effect belong to (GetCallerIdentity), and where they come from."""
    import json

    from mfaenv.aws.whoami import whoami as who

    identity = who(dict(os.environ))
    if as_json:
        commands.write(json.dumps(dataclasses.asdict(identity)) + "\n")
        return
    for warning in identity.warnings:
        print(f"mfaenv: warning: {oneline(warning)}", file=sys.stderr)
    chain = [f"role chain: {' -> '.join(identity.chain)}"] if identity.chain else []
    lines = [
        identity.arn,
        f"account {identity.account}, user id {identity.user_id}",
        f"credentials from {identity.source}",
    ]
    commands.write("".join(oneline(line) + "\n" for line in lines + chain))


@main.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@_login_options
@_region_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_cmd(command: tuple[str, ...], region: str | None, **opts: Any) -> NoReturn:
    """Run COMMAND with the session in its environment only: mfaenv exec -- aws s3 ls"""
    from mfaenv import inputs
    from mfaenv.plan import apply

    env = dict(os.environ)
    region = inputs.check_region(region, "--region") if region is not None else None
    session = commands.session(env, **opts)
    child_env = apply(plan_login(session, env, region), env)
    import shutil

    if shutil.which(command[0], path=child_env.get("PATH")) is None:
        raise MfaenvError(f"cannot run {command[0]}: command not found", Exit.NOT_RUN)
    commands.flush_notes()  # only now: a failure before this is one line
    sys.stdout.flush()
    if os.name == "nt":  # no real exec on Windows: wait and pass the status on
        import subprocess

        try:
            raise click.exceptions.Exit(subprocess.call(list(command), env=child_env))
        except OSError as e:
            raise MfaenvError(f"cannot run {command[0]}: {e.strerror}", Exit.NOT_RUN) from None
    try:
        os.execvpe(command[0], list(command), child_env)  # its exit status becomes ours
    except OSError as e:
        raise MfaenvError(f"cannot run {command[0]}: {e.strerror}", Exit.NOT_RUN) from None


@main.command("credential-process")
@_login_options
def credential_process(**opts: Any) -> None:
    """Print credential_process JSON for the session (cached or new).

    \b
    In ~/.aws/config:
      [profile work-mfa]
      credential_process = mfaenv credential-process --profile work
    """
    commands.credential_process(**opts)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(as_json: bool) -> None:
    """List the cached sessions: profile, MFA device or role, key, end, time left. No AWS call."""
    commands.list_sessions(as_json)


@main.command()
@click.argument("profile", required=False, shell_complete=_complete_profiles)
def clear(profile: str | None) -> None:
    """Delete cached sessions: all of them, or PROFILE's (its roles' too)."""
    commands.clear(profile)


@main.command()
@click.option("--user", metavar="NAME", help="Scope the policy to this IAM user (default: any user it is attached to).")
@click.option(
    "--max-age", metavar="SPAN", help="Also deny sessions whose MFA is older than this (aws:MultiFactorAuthAge)."
)
def policy(user: str | None, max_age: str | None) -> None:
    """Print the IAM policy that denies everything without MFA."""
    import json

    from mfaenv import inputs
    from mfaenv.aws import policy as pol

    age = inputs.parse_span(max_age, "--max-age") if max_age else None
    print(f"mfaenv: {pol.EXPLANATION}", file=sys.stderr)
    commands.write(json.dumps(pol.force_mfa(user, age), indent=2) + "\n")


# -- Keys off the disk (README): add, remove, rotate --------------------------------------

_keyring_option = click.option(
    "--keyring",
    "kind",
    type=click.Choice(["system", "file", "pass"]),
    help="Where to keep the keys: the OS keyring (default; MFAENV_KEYRING also sets it), an encrypted file, or pass.",
)


@main.command()
@click.argument("profile", shell_complete=_complete_profiles)
@click.option("--from-credentials-file", is_flag=True, help="Move the profile's keys out of ~/.aws/credentials.")
@click.option(
    "--credential-process/--no-credential-process",
    default=None,
    help="Set (or do not set) credential_process for the profile in ~/.aws/config without asking.",
)
@_keyring_option
def add(profile: str, **opts: Any) -> None:
    """Store PROFILE's long-term keys in the OS keyring instead of a file.

    Asks for the key id and secret on the terminal, or reads two lines from stdin.
    """
    from mfaenv.cli import keys as keycmds

    keycmds.add(profile, dict(os.environ), **opts)


@main.command()
@click.argument("profile", shell_complete=_complete_profiles)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting.")
def remove(profile: str, yes: bool) -> None:
    """Delete PROFILE's keys from the keyring (the key stays valid in IAM)."""
    from mfaenv.cli import keys as keycmds

    keycmds.remove(profile, dict(os.environ), yes)


@main.command()
@click.argument("profile_arg", metavar="[PROFILE]", required=False, shell_complete=_complete_profiles)
@_login_options
def rotate(profile_arg: str | None, **opts: Any) -> None:
    """Replace PROFILE's access key with a new one (CreateAccessKey, check, DeleteAccessKey).

    Needs an MFA session, so it takes the login options (--token-code, ...).
    """
    from mfaenv.flow import rotate as rot

    opts["profile"] = profile_arg or opts.get("profile")
    rot.rotate(dict(os.environ), **opts)
