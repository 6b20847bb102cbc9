"""What the commands do, without the option parser.

click (mfaenv.cli.app) and the fast path (mfaenv.cli.fast) both call these, so a
fast-path run behaves exactly as the click one. No click import here: the
commands a shell runs most (status, logout, init, export, a cached login)
must start in a few tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from mfaenv import inputs
from mfaenv.errors import MfaenvError, PipeClosed, oneline

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (8 ms)
if TYPE_CHECKING:
    from collections.abc import Callable

    from mfaenv.plan import Session
    from mfaenv.shells import Shell


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


#: Notes for stderr that wait until the command has succeeded, so a failure stays one line.
_notes: list[str] = []


def flush_notes() -> None:
    while _notes:
        warn(_notes.pop(0))


def write(text: str) -> None:
    flush_notes()
    # Bytes with \n line ends: a text stream would write \r\n on Windows.
    try:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise PipeClosed from None  # not an OSError, so click does not turn it into exit 1


def warn(message: str) -> None:
    print(f"mfaenv: {oneline(message)}", file=sys.stderr)


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
    return login(request, env, now(), note=_notes.append)


def _refuse_terminal(shell: Shell, cmd: str, hint: str | None = None) -> None:
    """Nobody can evaluate what goes to a terminal: say how instead, and print no secret.

    `hint` None: how the hook makes the plain command work (login and logout).
    """
    if sys.stdout.isatty():
        from mfaenv.shells.hooks import rc_hint

        if hint is None:
            hint = rc_hint(shell.alias, cmd.split()[1])
        raise MfaenvError(f"stdout is a terminal, so nothing would be applied; run: {shell.usage(cmd)}{hint}")


def login(
    shell_name: str | None = None,
    write_profile: str | None = None,
    no_env: bool = False,
    region: str | None = None,
    **opts: object,
) -> None:
    from mfaenv import shells
    from mfaenv.plan import plan_login

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
    from mfaenv.plan import plan_logout

    env = dict(os.environ)
    text = ""
    if not no_env:
        shell = shells.resolve(shell_name, env)
        _refuse_terminal(
            shell, "mfaenv logout", " (or add --no-env to only remove the profile)" if write_profile else None
        )
        text = shell.render(plan_logout(env))
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
        from mfaenv.store import cache

        name = profile or env.get("MFAENV_PROFILE")
        if not name:
            raise MfaenvError("--forget needs a profile: this shell has no mfaenv session; pass --profile")
        count = cache.forget(cache.folder(env), name)
        warn(f"forgot {count} cached session(s) of profile {name}")
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
    from mfaenv.shells import hooks
    from mfaenv import shells

    shell = shells.resolve(shell_name, dict(os.environ))
    write(hooks.hook(shell.alias, prompt))


def status(as_json: bool = False) -> int:
    """Print the state; return the exit status (0 valid, 10 expiring, 11 expired, 12 none)."""
    import json

    from mfaenv import inputs
    from mfaenv import status as st

    env = dict(os.environ)
    result = st.read(env, now(), inputs.margin(env))
    write(json.dumps(result.as_json()) + "\n" if as_json else st.describe(result) + "\n")
    return int(result.state)


def list_sessions(as_json: bool = False) -> None:
    """Every cached session (what it is for, the key that made it, when it ends) and where each
    profile's long-term keys live; no secret, no AWS call, no keyring opened."""
    import json

    from mfaenv.store import cache
    from mfaenv.status import span

    env = dict(os.environ)
    when = now()
    rows = cache.entries(cache.folder(env), when)
    # The key id and the end together name a session (emulators hand out one key id to all).
    held = (env.get("AWS_ACCESS_KEY_ID"), env.get("MFAENV_EXPIRES"))
    for row in rows:
        key, exp = row.pop("session_key", None), row.get("expires")
        row["this_shell"] = bool(key) and exp is not None and held == (key, str(int(exp.timestamp())))  # type: ignore[attr-defined]
    keys = _key_places(env)
    if as_json:
        for row in rows:
            if row.get("expires"):
                row["expires"] = row["expires"].strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
        write(json.dumps({"sessions": rows, "keys": keys}, indent=2) + "\n")
        return
    lines = _table(_session_rows(rows, span)) if rows else ["no cached sessions"]
    if any(row.get("this_shell") for row in rows):
        lines.append("* the session this shell holds")
    if keys:
        lines += [
            "",
            *_table([("PROFILE", "LONG-TERM KEY", "KEPT IN")] + [(k["profile"], k["key"], k["store"]) for k in keys]),
        ]
    write("\n".join(lines) + "\n")


def _session_rows(rows: list[dict[str, object]], span: Callable[[int], str]) -> list[tuple[str, ...]]:
    table: list[tuple[str, ...]] = [("", "PROFILE", "SESSION", "KEY", "ENDS (UTC)", "LEFT")]
    for row in rows:
        if "problem" in row:
            table.append(("!", "?", f"{row['file']}: {row['problem']}", "", "", ""))
            continue
        left = int(row["seconds_left"])  # type: ignore[call-overload]
        table.append(
            (
                "*" if row["this_shell"] else "",
                str(row["profile"]),
                f"role {row['role']}" if row.get("role") else f"MFA {row.get('serial') or '?'}",
                str(row.get("source_key") or "?"),
                f"{row['expires']:%Y-%m-%d %H:%M}",
                span(left) if left > 0 else "expired",
            )
        )
    return table


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(_printable(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(_printable(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


#: Where a profile's long-term keys live, by the marker mfaenv add writes.
_STORES = {"system": "OS keyring", "file": "encrypted file", "pass": "pass"}


def _key_places(env: dict[str, str]) -> list[dict[str, str]]:
    """Each profile with long-term keys: the key as consoles show it, and what keeps the secret."""
    from mfaenv.store import keystore
    from mfaenv.store.config import _profiles

    try:
        merged, _, creds = _profiles(env)
    except MfaenvError:
        return []  # login says what is wrong with the files
    out = []
    for name in sorted(merged):
        values = merged[name]
        marked = values.get(keystore.MARKER, "").strip()
        if marked:
            kind = values.get(keystore.BACKEND, "").strip() or "system"
            out.append({"profile": name, "key": keystore.hint(marked), "store": _STORES.get(kind, kind)})
        elif values.get("aws_access_key_id", "").strip().startswith("AKIA") and values.get("aws_secret_access_key"):
            where = "credentials file" if "aws_secret_access_key" in creds.get(name, {}) else "config file"
            out.append({"profile": name, "key": keystore.hint(values["aws_access_key_id"].strip()), "store": where})
    return out


def _printable(text: str) -> str:
    # Names come from files: no control character reaches the terminal.
    return "".join(c if c.isprintable() else "?" for c in text)


def clear(profile: str | None = None) -> None:
    """Delete cached sessions (all, or a profile's) and say what went."""
    from mfaenv.store import cache

    env = dict(os.environ)
    count = cache.clear(cache.folder(env), profile)
    what = f"of profile {profile}" if profile else "in all"
    warn(f"removed {count} cached session(s) {what}")
    if profile and not count:
        from mfaenv.store.config import _profiles

        try:
            known = _profiles(env)[0]
        except MfaenvError:
            return
        if profile not in known:  # a typo, most likely: name what there is, as login does
            warn(
                f"the AWS files have no profile {profile!r} either; known profiles: {', '.join(sorted(known)) or 'none'}"
            )
