"""What the session commands show: status (from the environment), list and clear (the cache). No AWS call, no click.

status is on the fast path (mfaenv.cli.fast): it imports nothing heavy.
"""

from __future__ import annotations

import os

from mfaenv.cli.output import now, warn, write
from mfaenv.errors import MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (8 ms)
if TYPE_CHECKING:
    from collections.abc import Callable


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

    from mfaenv.status import cached_sessions, span
    from mfaenv.store import cache, cachedir

    env = dict(os.environ)
    when = now()
    rows = cache.entries(cachedir.path(env), when)
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
    lines = _table(_session_rows(rows, span)) if rows else [cached_sessions(0)]
    if any(row.get("this_shell") for row in rows):
        lines.append("* the session this shell holds")
    if keys:
        lines += [
            "",
            *_table([("PROFILE", "LONG-TERM KEY", "KEPT IN")] + [(k["profile"], k["key"], k["store"]) for k in keys]),
        ]
    write("\n".join(lines) + "\n")


def _session_rows(rows: list[dict[str, object]], span: Callable[[int], str]) -> list[tuple[str, ...]]:
    from mfaenv.store.roles import span as length

    table: list[tuple[str, ...]] = [("", "PROFILE", "SESSION", "LENGTH", "KEY", "ENDS (UTC)", "LEFT")]
    # Each profile's sessions together, its MFA sessions before its roles', the one a login takes first.
    usable = sorted(
        (r for r in rows if "problem" not in r),
        key=lambda r: (str(r["profile"]), bool(r.get("role")), str(r.get("role") or ""), -int(r["seconds_left"])),  # type: ignore[call-overload]
    )
    for row in usable:
        left = int(row["seconds_left"])  # type: ignore[call-overload]
        table.append(
            (
                "*" if row["this_shell"] else "",
                str(row["profile"]),
                f"role {row['role']}" if row.get("role") else f"MFA {row.get('serial') or '?'}",
                length(row["length"]) if row.get("length") else "?",  # type: ignore[arg-type]
                str(row.get("source_key") or "?"),
                f"{row['expires']:%Y-%m-%d %H:%M}",
                span(left) if left > 0 else "expired",
            )
        )
    table += [("!", "?", f"{r['file']}: {r['problem']}", "", "", "", "") for r in rows if "problem" in r]
    return table


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(_printable(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(_printable(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


#: Where a profile's long-term keys live, by the marker mfaenv add writes.
_STORES = {"system": "OS keyring", "file": "encrypted file", "pass": "pass"}


def _key_places(env: dict[str, str]) -> list[dict[str, str]]:
    """Each profile with long-term keys: the key as consoles show it, and what keeps the secret."""
    from mfaenv.store import keystore
    from mfaenv.store.config import parsed

    try:
        merged, _, creds = parsed(env)
    except MfaenvError:
        return []  # login says what is wrong with the files
    out = []
    for name in sorted(merged.holding_keys()):  # type: ignore[attr-defined]
        values = merged[name]
        marked = values.get(keystore.MARKER, "").strip()
        if marked:
            kind = values.get(keystore.BACKEND, "").strip() or "system"
            row = {"profile": name, "key": keystore.hint(marked), "store": _STORES.get(kind, kind)}
            # Keys left in the credentials file too: the AWS CLI and SDKs use those first, so say both.
            left = creds.get(name, {}).get("aws_access_key_id", "").strip()
            if left and creds[name].get("aws_secret_access_key", "").strip():
                row["also_in"] = "credentials file"
                other = "" if left == marked else f" ({keystore.hint(left)})"
                row["store"] += f" and credentials file{other}"
            out.append(row)
        elif values.get("aws_access_key_id", "").strip().startswith("AKIA") and values.get("aws_secret_access_key"):
            where = "credentials file" if "aws_secret_access_key" in creds.get(name, {}) else "config file"
            out.append({"profile": name, "key": keystore.hint(values["aws_access_key_id"].strip()), "store": where})
    return out


def _printable(text: str) -> str:
    # Names come from files: no control character reaches the terminal.
    return "".join(c if c.isprintable() else "?" for c in text)


def clear(profile: str | None = None) -> None:
    """Delete cached sessions (all, or a profile's) and say what went."""
    from mfaenv.store import cachedir, cleanup

    env = dict(os.environ)
    count = cleanup.clear(cachedir.path(env), profile)
    from mfaenv.status import cached_sessions

    warn(cached_sessions(count, "removed") + (f" of profile {profile}" if profile else ""))
    if profile and not count:
        from mfaenv.store.config import parsed

        try:
            known = parsed(env)[0]
        except MfaenvError:
            return
        if profile not in known:  # a typo, most likely: name what there is, as login does
            warn(
                f"the AWS files have no profile {profile!r} either; known profiles: {', '.join(sorted(known)) or 'none'}"
            )
