"""What the commands do, without the option parser.

click (mfaenv.cli.app) and the fast path (mfaenv.cli.fast) both call these, so a
fast-path run behaves exactly as the click one. No click import here: the
commands a shell runs most (logout, init, export, a cached login) must start
in a few tens of milliseconds. status, list and clear are in mfaenv.cli.info.
"""

from __future__ import annotations

import os
import sys

from mfaenv import inputs
from mfaenv.cli.output import note, now, warn, write
from mfaenv.errors import MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (8 ms)
if TYPE_CHECKING:
    from mfaenv.plan import Session
    from mfaenv.shells import Shell


def session(
    env: dict[str, str],
    profile: str | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    token_command: str | None = None,
    duration: str | None = None,
    fresh: bool = False,
) -> Session:
    from mfaenv.flow.login import LoginRequest, login

    request = LoginRequest(profile, serial_number, token_code, token_command, duration, fresh)
    return login(request, env, now(), note=note)


def one_profile(opts: dict[str, object]) -> None:
    """Fold the positional PROFILE (`login work`) into `opts["profile"]`; two different ones are a usage error."""
    given, option = opts.pop("profile_arg", None), opts.get("profile")
    if given is not None and option is not None and given != option:
        raise MfaenvError(f"two profiles given, {given} and --profile {option}; give one")
    if given is not None:
        opts["profile"] = given


def _refuse_terminal(shell: Shell, cmd: str, hint: str | None = None) -> None:
    """Nobody can evaluate what goes to a terminal: say how instead, and print no secret.

    `hint` None: how the hook makes the plain command work (login and logout).
    """
    if sys.stdout.isatty():
        from mfaenv.shells.hooks import rc_hint

        if hint is None:
            hint = rc_hint(shell.alias, cmd.split()[1])
        raise MfaenvError(
            f"stdout is a terminal, so nothing would be applied; run: {shell.usage(_typed(shell, cmd))}{hint}"
        )


def _typed(shell: Shell, cmd: str) -> str:
    """`cmd` with the arguments the user typed, quoted for `shell`, so the hint can be pasted as is.

    The MFA code is left out (it is a secret, and spent by then); where the shell
    cannot hold an argument in that line, `cmd` alone.
    """
    from mfaenv.errors import UnrepresentableValue

    args = [a for a in sys.argv[1:] if a != "--debug"]
    if not args or args[0] != cmd.split()[1]:
        return cmd
    words = ["mfaenv", args[0]]
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--token-code":
            next(rest, None)
        elif not arg.startswith("--token-code="):
            try:
                words.append(shell.word(arg))
            except UnrepresentableValue:
                return cmd
    return " ".join(words)


def login(
    shell_name: str | None = None,
    write_profile: str | None = None,
    no_env: bool = False,
    region: str | None = None,
    **opts: object,
) -> None:
    from mfaenv import shells
    from mfaenv.plan import plan_login

    one_profile(opts)
    env = dict(os.environ)
    if no_env and write_profile is None:
        raise MfaenvError("--no-env only makes sense with --write-profile: the session would go nowhere")
    if region is not None:
        region = inputs.check_region(region, "--region")
    shell = None if no_env else shells.resolve(shell_name, env)
    if shell is not None:
        _refuse_terminal(
            shell, "mfaenv login", " (or add --no-env to only write the profile)" if write_profile is not None else None
        )
    renews = _written_profile(opts.get("profile"), env)  # type: ignore[arg-type]
    result = session(env, **opts)  # type: ignore[arg-type]
    text = shell.render(plan_login(result, env, region)) if shell else ""
    if write_profile is not None or renews:
        from pathlib import Path

        from mfaenv.store import credfile
        from mfaenv.store.config import config_paths, foreign_settings

        # A bare --write-profile, or a login from a written profile (AWS_PROFILE=mfa),
        # renews that profile; else <profile>-mfa.
        name = write_profile or renews or f"{result.profile}-mfa"
        clash = foreign_settings(name, env)
        if clash:
            raise MfaenvError(
                f"profile {name!r} already has {clash} in the config file, which mfaenv did not write; "
                "pick another name for --write-profile"
            )
        path = Path(config_paths(env)[1][1])
        credfile.write_session(path, name, result._replace(region=region or result.region), result.profile, warn)
        warn(f"wrote the session into [{name}] of {path}; use it with --profile {name}")
    write(text)


def _written_profile(option: str | None, env: dict[str, str]) -> str | None:
    """The profile chosen for this login if it is one mfaenv wrote (it is renewed), else None."""
    from mfaenv.store.config import choose_profile, is_written_profile

    name = choose_profile(option, env)
    return name if is_written_profile(name, env) else None


def logout(
    forget: bool = False,
    profile: str | None = None,
    write_profile: str | None = None,
    no_env: bool = False,
    shell_name: str | None = None,
) -> None:
    from mfaenv import shells
    from mfaenv.plan import RESTORED_FROM, plan_logout

    env = dict(os.environ)
    text = ""
    if not no_env:
        shell = shells.resolve(shell_name, env)
        _refuse_terminal(
            shell, "mfaenv logout", " (or add --no-env to only remove the profile)" if write_profile else None
        )
        # The session goes even if a saved value cannot be given back (not UTF-8 in bash, a line break in tcsh).
        text, left_out = shell.render_what_fits(plan_logout(env))
        for name, why in left_out:
            note(f"warning: logged out, but {name} was not restored from {RESTORED_FROM.get(name, '?')}: {why}")
    if write_profile:
        from pathlib import Path

        from mfaenv.store import credfile
        from mfaenv.store.config import config_paths

        path = Path(config_paths(env)[1][1])
        if credfile.remove_session(path, write_profile, warn):
            warn(f"removed [{write_profile}] from {path}")
        else:
            warn(f"{path} has no [{write_profile}]; nothing to remove")
    if forget:
        from mfaenv.status import cached_sessions
        from mfaenv.store import cachedir, cleanup

        name = profile or env.get("MFAENV_PROFILE")
        if not name:
            raise MfaenvError("--forget needs a profile: this shell has no mfaenv session; pass --profile")
        count = cleanup.forget(cachedir.path(env), name)
        warn(f"{cached_sessions(count, 'forgot')} of profile {name}")
        source = _role_source(name, env)
        if source:
            warn(
                f"the MFA session of profile {source} still renews {name} without a code; "
                f"`mfaenv logout --forget --profile {source}` forgets it and every role session made from it"
            )
    write(text)


def _role_source(name: str, env: dict[str, str]) -> str | None:
    """The profile with the long-term keys behind role profile `name`; None if it is not a role."""
    from mfaenv.store import roles
    from mfaenv.store.config import read_profiles

    try:
        chain = roles.resolve(name, read_profiles(env))
    except MfaenvError:
        return None  # a broken config: forgetting still worked
    return chain.source if chain.roles else None


#: STS and credential_process JSON is a few KB; the same cap as on STS's own answers.
_MAX_JSON = 1 << 20


def export(file: str | None = None, label: str | None = None, shell_name: str | None = None) -> None:
    from mfaenv import shells
    from mfaenv.aws import stsjson
    from mfaenv.plan import plan_login

    env = dict(os.environ)
    shell = shells.resolve(shell_name, env)
    _refuse_terminal(
        shell,
        "mfaenv export" + (f" {file}" if file not in (None, "-") else ""),
        " (printed here, the secret key would only be shown)",
    )
    if file in (None, "-"):
        if sys.stdin.isatty():
            raise MfaenvError(
                "export reads STS JSON from a FILE or stdin; pipe `aws sts get-session-token ...` into it"
            )
        source, data = "stdin", sys.stdin.buffer.read(_MAX_JSON + 1)
    else:
        source = str(file)
        try:
            with open(source, "rb") as f:  # may be a pipe: `mfaenv export <(aws sts ...)`
                data = f.read(_MAX_JSON + 1)
        except OSError as e:
            raise MfaenvError(f"cannot read {file}: {e.strerror}") from None
    if len(data) > _MAX_JSON:
        # STS JSON is a few KB: read no further, hold nothing big in memory.
        raise MfaenvError(f"{source} is over {_MAX_JSON // 1024} KiB, far more than STS JSON; is it the right file?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MfaenvError(f"{source} is not UTF-8 text") from None
    write(shell.render(plan_login(stsjson.parse(text, source, label or "", now()), env)))


def credential_process(**opts: object) -> None:
    """credential_process JSON for the session: what every SDK process using such a profile runs."""
    import json

    from mfaenv.plan import iso_utc

    one_profile(opts)
    result = session(dict(os.environ), **opts)  # type: ignore[arg-type]
    doc = {
        "Version": 1,
        "AccessKeyId": result.access_key_id,
        "SecretAccessKey": result.secret_access_key,
        "SessionToken": result.session_token,
        "Expiration": iso_utc(result.expiration) if result.expiration else None,
    }
    write(json.dumps({k: v for k, v in doc.items() if v is not None}) + "\n")


def init(shell_name: str | None = None, prompt: bool = False) -> None:
    from mfaenv import shells
    from mfaenv.shells import hooks

    shell = shells.resolve(shell_name, dict(os.environ))
    write(hooks.hook(shell.alias, prompt))
