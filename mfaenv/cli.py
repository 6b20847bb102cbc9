"""The command line: parse options, call the core, write one result. Thin.

Every command that prints shell code builds the whole text first and writes
it in one write at the end, so a failure anywhere leaves stdout empty and
`eval "$(mfaenv login)"` applies nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import NoReturn

import click

from mfaenv import __version__, shells
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import plan_login, plan_logout

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


@main.command()
@click.option(
    "--profile", "-p", metavar="NAME", help="Source profile with long-term keys (default: AWS_PROFILE, else default)."
)
@click.option(
    "--serial-number", metavar="ARN", help="MFA device ARN (default: MFAENV_MFA_SERIAL, mfa_serial, or IAM lookup)."
)
@click.option("--token-code", metavar="CODE", help="The 6-digit MFA code (default: ask on the terminal).")
@click.option("--token-command", metavar="CMD", help="Command that prints the MFA code (ykman, op, ...).")
@click.option("--duration", "-d", metavar="SPAN", help="Session length: seconds, or 15m, 12h, 1d12h (default 12h).")
@_shell_option
def login(
    profile: str | None,
    serial_number: str | None,
    token_code: str | None,
    token_command: str | None,
    duration: str | None,
    shell_name: str | None,
) -> None:
    """Start an MFA session and print the statements that set it."""
    from mfaenv.login import LoginRequest
    from mfaenv.login import login as do_login

    env = dict(os.environ)
    shell = shells.resolve(shell_name, env)
    if sys.stdout.isatty():
        # Nobody can evaluate what goes to a terminal: say how, and print no secret.
        raise MfaenvError(f"stdout is a terminal, so nothing would be applied; run: {shell.usage()}")
    req = LoginRequest(profile, serial_number, token_code, token_command, duration)
    session = do_login(req, env, _now())
    _write(shell.render(plan_login(session, env)))


@main.command()
@_shell_option
def logout(shell_name: str | None) -> None:
    """Print the statements that end the session in this shell."""
    env = dict(os.environ)
    shell = shells.resolve(shell_name, env)
    _write(shell.render(plan_logout(env)))


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


def run(argv: list[str] | None = None) -> NoReturn:
    """Entry point: one line on stderr and a documented exit code for every failure."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        main.main(args=argv, prog_name="mfaenv", standalone_mode=False)
        code = 0
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
