"""The commands for keys off the disk (docs/keys.md): add, remove, rotate. Thin: bodies in cli.keys and flow.rotate."""

from __future__ import annotations

import os
from typing import Any

import click

from mfaenv.cli import commands
from mfaenv.cli.options import complete_profiles, keyring_option, login_options
from mfaenv.errors import MfaenvError


def _profiles_with_keys(stored_only: bool) -> list[str]:
    """Profiles holding long-term keys (from the AWS files alone: no store is opened)."""
    from mfaenv.store import keystore
    from mfaenv.store.config import parsed

    try:
        merged = parsed(os.environ)[0]
    except MfaenvError:
        return []
    held = ((name, merged[name]) for name in merged.holding_keys())  # type: ignore[attr-defined]
    return sorted(
        name
        for name, values in held
        if values.get(keystore.MARKER, "").strip()
        or (
            not stored_only
            and values.get("aws_access_key_id", "").strip()
            and values.get("aws_secret_access_key", "").strip()
        )
    )


def complete_stored(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """remove: only the profiles whose keys are in a store."""
    return [n for n in _profiles_with_keys(stored_only=True) if n.startswith(incomplete)]


def complete_with_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """rotate: only the profiles with long-term keys, in a store or in a file."""
    return [n for n in _profiles_with_keys(stored_only=False) if n.startswith(incomplete)]


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
@click.argument("profile", shell_complete=complete_stored)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting.")
def remove(profile: str, yes: bool) -> None:
    """Delete PROFILE's keys from the keyring (the key stays valid in IAM)."""
    from mfaenv.cli import keys as keycmds

    keycmds.remove(profile, dict(os.environ), yes)


@click.command()
@click.argument("profile_arg", metavar="[PROFILE]", required=False, shell_complete=complete_with_keys)
@login_options
def rotate(profile_arg: str | None, **opts: Any) -> None:
    """Replace PROFILE's access key with a new one (CreateAccessKey, check, DeleteAccessKey).

    Needs an MFA session, so it takes the login options (--token-code, ...).
    """
    from mfaenv.flow import rotate as rot

    env = dict(os.environ)
    opts["profile_arg"] = profile_arg
    commands.one_profile(opts)  # `rotate a --profile b` is a usage error, as for login
    chosen = opts.pop("profile", None)
    rot.rotate(env, lambda name: commands.session(env, **{**opts, "profile": name}), chosen)


# rotate's --profile (from the shared login options) completes as its PROFILE does.
for _param in rotate.params:
    if _param.name == "profile":
        _param._custom_shell_complete = complete_with_keys  # noqa: SLF001 - click keeps the callback there
