"""The command line: parse options, call the core, write one result. Thin.

Every command that prints shell code builds the whole text first and writes
it in one write at the end, so a failure anywhere leaves stdout empty and
`eval "$(mfaenv login)"` applies nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from mfaenv import __version__, shells
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session, iso_utc, plan_login, plan_logout

_shell_option = click.option(
    "--shell",
    "shell_name",
    metavar="NAME",
    help="Shell to print for (default: detected; MFAENV_SHELL also sets it).",
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _write(text: str) -> None:
    # Bytes with \n line ends: a text stream would write \r\n on Windows.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


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
                help="Source profile with long-term keys (default: AWS_PROFILE, else default).",
            ),
            click.option(
                "--serial-number",
                metavar="ARN",
                help="MFA device ARN (default: MFAENV_MFA_SERIAL, mfa_serial, or IAM lookup).",
            ),
            click.option("--token-code", metavar="CODE", help="The 6-digit MFA code (default: ask on the terminal)."),
            click.option("--token-command", metavar="CMD", help="Command that prints the MFA code (ykman, op, ...)."),
            click.option(
                "--duration", "-d", metavar="SPAN", help="Session length: seconds, or 15m, 12h, 1d12h (default 12h)."
            ),
            click.option("--fresh", is_flag=True, help="Ask STS for a new session even if a cached one is still good."),
        ]
    ):
        f = option(f)
    return f


def _session(
    profile: str | None,
    serial_number: str | None,
    token_code: str | None,
    token_command: str | None,
    duration: str | None,
    fresh: bool,
    env: dict[str, str],
) -> Session:
    from mfaenv.login import LoginRequest, login

    return login(LoginRequest(profile, serial_number, token_code, token_command, duration, fresh), env, _now())


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
@_shell_option
def login_cmd(shell_name: str | None, write_profile: str | None, no_env: bool, **opts: Any) -> None:
    """Start an MFA session (or reuse a cached one) and print the statements that set it."""
    env = dict(os.environ)
    if no_env and write_profile is None:
        raise MfaenvError("--no-env only makes sense with --write-profile: the session would go nowhere")
    shell = None if no_env else shells.resolve(shell_name, env)
    if shell is not None and sys.stdout.isatty():
        # Nobody can evaluate what goes to a terminal: say how, and print no secret.
        hint = " (or add --no-env to only write the profile)" if write_profile is not None else ""
        raise MfaenvError(f"stdout is a terminal, so nothing would be applied; run: {shell.usage()}{hint}")
    session = _session(env=env, **opts)
    text = shell.render(plan_login(session, env)) if shell else ""
    if write_profile is not None:
        from mfaenv import credfile
        from mfaenv.config import config_paths

        name = write_profile or f"{session.profile}-mfa"
        path = Path(config_paths(env)[1][1])
        credfile.write_session(path, name, session, session.profile, _warn)
        print(f"mfaenv: wrote the session into [{name}] of {path}; use it with --profile {name}", file=sys.stderr)
    _write(text)


def _warn(message: str) -> None:
    print(f"mfaenv: {message}", file=sys.stderr)


@main.command()
@click.option("--forget", is_flag=True, help="Also delete the cached session, so no terminal reuses it.")
@click.option(
    "--profile", "-p", metavar="NAME", help="Profile whose cached sessions --forget deletes (default: this shell's)."
)
@click.option("--write-profile", metavar="NAME", help="Remove section [NAME] that `login --write-profile` wrote.")
@click.option("--no-env", is_flag=True, help="With --write-profile: print no statements.")
@_shell_option
def logout(forget: bool, profile: str | None, write_profile: str | None, no_env: bool, shell_name: str | None) -> None:
    """Print the statements that end the session in this shell."""
    env = dict(os.environ)
    text = "" if no_env else shells.resolve(shell_name, env).render(plan_logout(env))
    if write_profile:
        from mfaenv import credfile
        from mfaenv.config import config_paths

        path = Path(config_paths(env)[1][1])
        if credfile.remove_session(path, write_profile, _warn):
            print(f"mfaenv: removed [{write_profile}] from {path}", file=sys.stderr)
        else:
            print(f"mfaenv: {path} has no [{write_profile}]; nothing to remove", file=sys.stderr)
    if forget:
        from mfaenv import cache

        name = profile or env.get("MFAENV_PROFILE")
        if not name:
            raise MfaenvError("--forget needs a profile: this shell has no mfaenv session; pass --profile")
        count = cache.forget(cache.folder(env), name)
        print(f"mfaenv: forgot {count} cached session(s) of profile {name}", file=sys.stderr)
    _write(text)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--label", metavar="NAME", help="Name shown as the session's profile (MFAENV_PROFILE).")
@_shell_option
def export(file: str | None, label: str | None, shell_name: str | None) -> None:
    """Print statements for STS JSON read from FILE or stdin.

    Takes `aws sts get-session-token` output or credential_process JSON.
    """
    from mfaenv import stsjson

    env = dict(os.environ)
    shell = shells.resolve(shell_name, env)
    if file in (None, "-"):
        if sys.stdin.isatty():
            raise MfaenvError(
                "export reads STS JSON from a FILE or stdin; pipe `aws sts get-session-token ...` into it"
            )
        source, data = "stdin", sys.stdin.buffer.read()
    else:
        source = file
        try:
            with open(file, "rb") as f:
                data = f.read()
        except OSError as e:
            raise MfaenvError(f"cannot read {file}: {e.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MfaenvError(f"{source} is not UTF-8 text") from None
    session = stsjson.parse(text, source, label or "", _now())
    _write(shell.render(plan_login(session, env)))


@main.command()
@click.argument("shell_name", metavar="[SHELL]", required=False)
@click.option("--prompt", is_flag=True, help="Also put the segment in front of your prompt.")
def init(shell_name: str | None, prompt: bool) -> None:
    """Print the shell hook: `mfaenv login` then changes the shell it runs in.

    \b
    bash:  eval "$(mfaenv init bash)"        in ~/.bashrc
    zsh:   eval "$(mfaenv init zsh)"         in ~/.zshrc
    fish:  mfaenv init fish | source         in config.fish
    pwsh:  mfaenv init pwsh | Out-String | Invoke-Expression   in $PROFILE
    """
    from mfaenv import hooks

    shell = shells.resolve(shell_name, dict(os.environ))
    _write(hooks.hook(shell.alias, prompt))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a sentence.")
def status(as_json: bool) -> None:
    """Show this shell's session: profile, expiry, time left. No AWS call.

    \b
    Exit status: 0 valid, 10 expiring within the margin (MFAENV_MARGIN,
    default 15m), 11 expired, 12 no session.
    """
    import json

    from mfaenv import cache, inputs
    from mfaenv import status as st

    env = dict(os.environ)
    margin = (
        inputs.parse_span(env["MFAENV_MARGIN"], "MFAENV_MARGIN") if env.get("MFAENV_MARGIN") else cache.DEFAULT_MARGIN
    )
    result = st.read(env, _now(), margin)
    _write(json.dumps(result.as_json()) + "\n" if as_json else st.describe(result) + "\n")
    raise click.exceptions.Exit(int(result.state))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of sentences.")
def whoami(as_json: bool) -> None:
    """Who the credentials in effect belong to (GetCallerIdentity), and where they come from."""
    import json

    from mfaenv.whoami import whoami as who

    identity = who(dict(os.environ))
    if as_json:
        _write(json.dumps(dataclasses.asdict(identity)) + "\n")
        return
    for warning in identity.warnings:
        print(f"mfaenv: warning: {warning}", file=sys.stderr)
    _write(
        f"{identity.arn}\naccount {identity.account}, user id {identity.user_id}\ncredentials from {identity.source}\n"
    )


@main.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@_login_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_cmd(command: tuple[str, ...], **opts: Any) -> NoReturn:
    """Run COMMAND with the session in its environment only: mfaenv exec -- aws s3 ls"""
    from mfaenv.plan import apply

    env = dict(os.environ)
    session = _session(env=env, **opts)
    child_env = apply(plan_login(session, env), env)
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
    import json

    env = dict(os.environ)
    session = _session(env=env, **opts)
    doc = {
        "Version": 1,
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": iso_utc(session.expiration) if session.expiration else None,
    }
    _write(json.dumps({k: v for k, v in doc.items() if v is not None}) + "\n")


@main.command()
@click.option("--user", metavar="NAME", help="Scope the policy to this IAM user (default: any user it is attached to).")
@click.option(
    "--max-age", metavar="SPAN", help="Also deny sessions whose MFA is older than this (aws:MultiFactorAuthAge)."
)
def policy(user: str | None, max_age: str | None) -> None:
    """Print the IAM policy that denies everything without MFA."""
    import json

    from mfaenv import inputs
    from mfaenv import policy as pol

    age = inputs.parse_span(max_age, "--max-age") if max_age else None
    print(f"mfaenv: {pol.EXPLANATION}", file=sys.stderr)
    _write(json.dumps(pol.force_mfa(user, age), indent=2) + "\n")


def run(argv: list[str] | None = None) -> NoReturn:
    """Entry point: one line on stderr and a documented exit code for every failure."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        # Without standalone mode, click returns a command's Exit code instead of raising it.
        result = main.main(args=argv, prog_name="mfaenv", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except MfaenvError as e:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"mfaenv: {e.message}", file=sys.stderr)
        code = int(e.code)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.ClickException as e:
        hint = f"; see `{e.ctx.command_path} --help`" if isinstance(e, click.UsageError) and e.ctx else ""
        print(f"mfaenv: {e.format_message().rstrip('.')}{hint}", file=sys.stderr)
        code = int(Exit.INPUT)
    except click.Abort:
        print("mfaenv: interrupted", file=sys.stderr)
        code = 130
    except KeyboardInterrupt:
        print("\nmfaenv: interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # The reader went away; nothing useful to say, and stderr may be gone too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    except Exception as e:  # noqa: BLE001 - a bug: no traceback (it could hold values) unless asked
        if debug:
            raise
        print(f"mfaenv: internal error ({type(e).__name__}); rerun with --debug and report it", file=sys.stderr)
        code = int(Exit.INTERNAL)
    sys.exit(code)
