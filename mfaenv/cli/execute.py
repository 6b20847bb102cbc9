"""`mfaenv exec`: its grammar, the child's environment, and running the child. No click here.

The grammar is aws-vault's: `exec [OPTIONS] [PROFILE] [-- COMMAND [ARGS]...]`.
mfaenv's options and at most one PROFILE come first; the command starts after
`--`, or else at the second word (`exec admin aws s3 ls`: the first word is
always the profile, never the command). No command: the user's shell ($SHELL).
With --server the program runs beside a credential endpoint (mfaenv.cli.server) instead.
"""

from __future__ import annotations

import os
import sys

from mfaenv.cli import commands, output
from mfaenv.errors import Exit, MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from mfaenv.plan import Session

#: exec's options that take a value: the word after one is not the profile or the command.
VALUE_OPTIONS = (
    "--profile",
    "-p",
    "--serial-number",
    "--token-code",
    "--token-command",
    "--duration",
    "-d",
    "--region",
)


def split(args: list[str]) -> tuple[list[str], list[str]]:
    """(mfaenv's options and PROFILE, the command and its arguments) of exec's words."""
    head: list[str] = []
    profile_seen = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return head, args[i + 1 :]
        if arg.startswith("-") and arg != "-":
            head.append(arg)
            if arg in VALUE_OPTIONS and i + 1 < len(args):
                i += 1
                head.append(args[i])
        elif not profile_seen:
            head.append(arg)
            profile_seen = True
        else:
            return head, args[i:]
        i += 1
    return head, []


def child_env(env: dict[str, str], session: Session, region: str | None = None) -> dict[str, str]:
    """`env` with `session` in it, as `mfaenv login` would set it in a shell (stale variables removed)."""
    from mfaenv.plan import apply, plan_login

    return apply(plan_login(session, env, region), env)


def program(command: list[str], env: dict[str, str]) -> list[str]:
    """What exec runs, checked before any login: `command`, or with none the user's shell.

    The user's shell is $SHELL (%COMSPEC% on Windows), else /bin/sh.
    """
    import shutil

    from mfaenv.status import shown

    if command:
        if shutil.which(command[0], path=env.get("PATH")) is None:
            raise MfaenvError(f"cannot run {shown(command[0])}: command not found", Exit.NOT_RUN)
        return command
    name = "COMSPEC" if os.name == "nt" else "SHELL"
    shell = env.get(name) or ("cmd.exe" if os.name == "nt" else "/bin/sh")
    if shutil.which(shell, path=env.get("PATH")) is None:
        raise MfaenvError(
            f"cannot open your shell: {name} is {shown(shell)!r}, which is not a program here; "
            f"fix {name}, or give a command: mfaenv exec PROFILE -- COMMAND",
            Exit.NOT_RUN,
        )
    return [shell]


def run_child(command: list[str], env: dict[str, str]) -> int:
    """Run `command` with `env`: in place of this process where the OS can (its exit status becomes ours)."""
    output.flush_notes()  # only now: a failure before this is one line
    sys.stdout.flush()
    try:
        if os.name == "nt":  # no real exec on Windows: wait and pass the status on
            import subprocess

            return subprocess.call(command, env=env)
        os.execvpe(command[0], command, env)
    except OSError as e:
        raise MfaenvError(f"cannot run {command[0]}: {e.strerror}", Exit.NOT_RUN) from None
    raise AssertionError("exec returned")  # pragma: no cover - execvpe does not


def check_profile(given: object, command: list[str], env: dict[str, str], profile: object = None) -> None:
    """The profile's settings checked before the command is looked for (no call, no question).

    In `mfaenv exec aws s3 ls`, aws is the profile: an unknown one says so, and how to run aws instead.
    """
    from mfaenv.store import roles
    from mfaenv.store.config import choose_profile, load_profile, read_profiles

    profiles = read_profiles(env)
    try:
        load_profile(roles.resolve(choose_profile(profile, env), profiles).source, env)  # type: ignore[arg-type]
    except MfaenvError as e:
        if given is None or not command or given in profiles:
            raise
        raise MfaenvError(
            f"{e.message}; the first word after exec is the profile: `mfaenv exec -- {given} ...` "
            f"runs {given} with the default profile"
        ) from None


def exec_(command: list[str], region: str | None = None, server: bool = False, **opts: object) -> int:
    """exec's body: what was typed checked (no call yet), the session, then the program beside it."""
    from mfaenv import inputs

    env = dict(os.environ)
    given = opts.get("profile_arg")
    commands.one_profile(opts)
    region = inputs.check_region(region, "--region") if region is not None else None
    check_profile(given, command, env, opts.get("profile"))
    argv = program(command, env)
    session = commands.session(env, **opts)  # type: ignore[arg-type]
    child = child_env(env, session, region)
    if not command:
        output.note(f"opening {argv[0]} with the session of {session.profile}; `exit` ends it")
    if server:  # it says the notes once its endpoint is up
        from mfaenv.cli import server as served

        return served.run(tuple(argv), child, session, served.renewal(env, opts))
    return run_child(argv, child)
