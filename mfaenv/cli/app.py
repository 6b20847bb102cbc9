"""The command line, with click: options, help and usage errors. Thin.

The commands' bodies are in mfaenv.cli.commands; mfaenv.cli.main runs the common
forms of the fast commands without importing click at all (mfaenv.cli.fast), and
everything else, --help and every mistake included, through here.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any, NoReturn

import click

from mfaenv import __version__
from mfaenv.cli import commands, console, execute, info, keyapp, output
from mfaenv.cli.options import (
    complete_hook_shells,
    complete_profiles,
    login_options,
    profile_argument,
    region_option,
    shell_option,
)
from mfaenv.errors import oneline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="mfaenv")
@click.option("--debug", is_flag=True, help="Show a traceback on failure (secrets stay hidden).")
def main(debug: bool) -> None:
    """Use AWS MFA sessions in your shell: GetSessionToken, printed as shell code."""


@main.command("login")
@profile_argument
@login_options
@click.option(
    "--write-profile",
    metavar="NAME",
    is_flag=False,
    flag_value="",
    default=None,
    help="Also write the session into [NAME] of the credentials file (default NAME: <profile>-mfa).",
)
@click.option("--no-env", is_flag=True, help="With --write-profile: print no statements (for cron and scripts).")
@region_option
@shell_option
def login(**opts: Any) -> None:
    """Start an MFA session (or reuse a cached one) for PROFILE and print the statements that set it.

    PROFILE and --profile are the same (give one): mfaenv login work
    """
    commands.login(**opts)


@main.command()
@click.option("--forget", is_flag=True, help="Also delete the cached session, so no terminal reuses it.")
@click.option(
    "--profile",
    "-p",
    metavar="NAME",
    shell_complete=complete_profiles,
    help="Profile whose cached sessions --forget deletes (default: this shell's).",
)
@click.option("--write-profile", metavar="NAME", help="Remove section [NAME] that `login --write-profile` wrote.")
@click.option("--no-env", is_flag=True, help="With --write-profile: print no statements.")
@shell_option
def logout(**opts: Any) -> None:
    """Print the statements that end the session in this shell."""
    commands.logout(**opts)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--label", metavar="NAME", help="Name shown as the session's profile (MFAENV_PROFILE).")
@shell_option
def export(**opts: Any) -> None:
    """Print statements for STS JSON read from FILE or stdin.

    Takes `aws sts get-session-token` output or credential_process JSON.
    """
    commands.export(**opts)


@main.command()
@click.argument("shell_name", metavar="[SHELL]", required=False, shell_complete=complete_hook_shells)
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
    raise click.exceptions.Exit(info.status(as_json))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of sentences.")
def whoami(as_json: bool) -> None:
    """Who the credentials in effect belong to (GetCallerIdentity), and where they come from."""
    import json

    from mfaenv.aws.whoami import whoami as who

    identity = who(dict(os.environ))
    if as_json:
        output.write(json.dumps(dataclasses.asdict(identity)) + "\n")
        return
    for warning in identity.warnings:
        print(f"mfaenv: warning: {oneline(warning)}", file=sys.stderr)
    chain = [f"role chain: {' -> '.join(identity.chain)}"] if identity.chain else []
    lines = [
        identity.arn,
        f"account {identity.account}, user id {identity.user_id}",
        f"credentials from {identity.source}",
    ]
    output.write("".join(oneline(line) + "\n" for line in lines + chain))


class _ExecCommand(click.Command):
    """exec's words are split by mfaenv.cli.execute (aws-vault's grammar); click parses only the part before the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        head, ctx.meta["mfaenv.command"] = execute.split(args)
        return super().parse_args(ctx, head)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "[-- COMMAND [ARGS]...]"]


@main.command("exec", cls=_ExecCommand)
@profile_argument
@login_options
@region_option
@click.option(
    "--server",
    is_flag=True,
    help="Give COMMAND a credential endpoint instead of keys, renewed while it runs (docs/server.md).",
)
def exec_cmd(**opts: Any) -> NoReturn:
    """Run COMMAND with PROFILE's session in its environment only; no COMMAND: your shell ($SHELL).

    \b
      mfaenv exec admin -- aws sts get-caller-identity
      mfaenv exec -- aws s3 ls          (the default profile, or --profile)
      mfaenv exec admin                 (a shell with the session; `exit` returns)
    As in aws-vault, the first word is always PROFILE: in `mfaenv exec aws s3 ls`,
    aws is the profile. Put `--` before a command to run it with the default profile.
    mfaenv's options go before the command; after it, every word is the command's.

    With --server, COMMAND gets a credential endpoint on 127.0.0.1 instead of keys,
    and sessions are renewed for as long as it runs (beyond a role's 1 hour).
    """
    raise click.exceptions.Exit(execute.exec_(click.get_current_context().meta["mfaenv.command"], **opts))


@main.command("credential-process")
@profile_argument
@login_options
def credential_process(**opts: Any) -> None:
    """Print credential_process JSON for PROFILE's session (cached or new).

    \b
    In ~/.aws/config, in a profile of another name than PROFILE:
      [profile work-mfa]
      credential_process = mfaenv credential-process --profile work
    (In a role profile itself, botocore would assume the role on its own and ask its own MFA code.)
    """
    commands.credential_process(**opts)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(as_json: bool) -> None:
    """List the cached sessions: profile, MFA device or role, key, end, time left. No AWS call."""
    info.list_sessions(as_json)


@main.command()
@click.argument("profile", required=False, shell_complete=complete_profiles)
def clear(profile: str | None) -> None:
    """Delete cached sessions: all of them, or PROFILE's (its roles' too)."""
    info.clear(profile)


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
    output.write(json.dumps(pol.force_mfa(user, age), indent=2) + "\n")


# Keys off the disk (docs/keys.md): add, remove, rotate.
for _command in (keyapp.add, keyapp.remove, keyapp.rotate):
    main.add_command(_command)
# The console from the session (docs/console.md).
main.add_command(console.command)
