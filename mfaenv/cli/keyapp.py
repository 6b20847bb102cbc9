"""The commands for keys off the disk (docs/keys.md): add, remove, rotate. Thin: bodies in cli.keys and flow.rotate."""

from __future__ import annotations

import os
from typing import Any

import click

from mfaenv.cli import commands
from mfaenv.cli.options import complete_profiles, keyring_option, login_options


@click.command()
@click.argument("profile", shell_complete=complete_profiles)
@click.option("--from-credentials-file", is_flag=True, help="Move the profile's keys out of ~/.aws/credentials.")
@click.option(
    "--credential-process/--no-credential-process",
    default=None,
    help="Set (or do not set) credential_process for the profile in ~/.aws/config without asking.",
)
@keyring_option
def add(profile: str, **opts: Any) -> None:
    """Store PROFILE's long-term keys in the OS keyring instead of a file.

    Asks for the key id and secret on the terminal, or reads two lines from stdin.
    """
    from mfaenv.cli import keys as keycmds

    keycmds.add(profile, dict(os.environ), **opts)


@click.command()
@click.argument("profile", shell_complete=complete_profiles)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting.")
def remove(profile: str, yes: bool) -> None:
    """Delete PROFILE's keys from the keyring (the key stays valid in IAM)."""
    from mfaenv.cli import keys as keycmds

    keycmds.remove(profile, dict(os.environ), yes)


@click.command()
@click.argument("profile_arg", metavar="[PROFILE]", required=False, shell_complete=complete_profiles)
@login_options
def rotate(profile_arg: str | None, **opts: Any) -> None:
    """Replace PROFILE's access key with a new one (CreateAccessKey, check, DeleteAccessKey).

    Needs an MFA session, so it takes the login options (--token-code, ...).
    """
    from mfaenv.flow import rotate as rot

    env = dict(os.environ)
    chosen = profile_arg or opts.pop("profile", None)
    rot.rotate(env, lambda name: commands.session(env, **{**opts, "profile": name}), chosen)
