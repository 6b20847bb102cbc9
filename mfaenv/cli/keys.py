"""`mfaenv add` and `mfaenv remove`: a profile's long-term keys into a keyring and out again.

The order of every step keeps a working key somewhere: the secret is written
to the store and read back before the marker points at it, and only then are
the lines removed from the credentials file. Killed in between, the profile
still works (from the file, or from the store).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mfaenv.errors import MfaenvError
from mfaenv.store import credfile, keystore
from mfaenv.store.config import config_paths, read_file
from mfaenv.terminal import ask, ask_hidden, open_tty, say

_LONG_TERM = ("aws_access_key_id", "aws_secret_access_key")
MAX_INPUT = 4096


def credential_process_line(profile: str) -> str:
    """What `add` puts in the profile, so every SDK and the AWS CLI get the MFA session."""
    return f"mfaenv credential-process --profile {profile}"


def config_section(profile: str) -> str:
    return "default" if profile == "default" else f"profile {profile}"


def add(
    profile: str,
    env: Mapping[str, str],
    from_credentials_file: bool = False,
    credential_process: bool | None = None,
    kind: str | None = None,
) -> None:
    name = keystore.check_profile(profile)
    store_kind = keystore.choose_kind(kind, env)
    store = keystore.open_store(store_kind)
    store.check()  # no keyring here, or no pass: said before anything is asked
    (cfg_label, cfg, cfg_named), (cred_label, cred, cred_named) = config_paths(env)
    config_values = read_file(cfg_label, cfg, cfg_named).get(config_section(name), {})
    file_values = read_file(cred_label, cred, cred_named).get(name, {})
    if from_credentials_file:
        key_id, secret = _from_file(name, file_values, cred)
    else:
        key_id, secret = _typed(name)

    line = credential_process_line(name)
    present = config_values.get("credential_process", "").strip()
    if present and present != line:
        if credential_process:
            raise MfaenvError(
                f"profile {name!r} already has another credential_process in {cfg}; remove it first to use mfaenv's"
            )
        set_process = False
    else:
        set_process = bool(present) or _want_process(name, cfg, credential_process)

    store.put(name, key_id, secret)
    if store.get(name, key_id) != secret:
        store.delete(name, key_id)
        raise MfaenvError(f"the {store.name} did not give the key back as stored; nothing was changed")

    changes: dict[str, str | None] = {
        keystore.MARKER: key_id,
        keystore.BACKEND: None if store_kind == "system" else store_kind,
        keystore.RETIRED: None,
    }
    if set_process:
        changes["credential_process"] = line
    # Config-file edits take the credentials file's lock, as everywhere in mfaenv (credfile.set_value).
    old = credfile.update_section(Path(cfg), config_section(name), changes, say, lock=Path(cred))
    _drop_replaced(name, old, key_id, store_kind)

    done = f"stored the keys of profile {name!r} ({keystore.hint(key_id)}) in the {store.name}"
    if from_credentials_file:
        credfile.update_section(Path(cred), name, dict.fromkeys(_LONG_TERM), say, create=False, private=True)
        done += f", and removed them from {cred}"
    elif any(k in file_values for k in _LONG_TERM):
        say(
            f"warning: {cred} still holds keys in [{name}], which the AWS CLI and SDKs use before "
            f"credential_process; `mfaenv add {name} --from-credentials-file` moves them"
        )
    say(done)
    if set_process:
        say(
            f"[{config_section(name)}] of {cfg} has `credential_process = {line}`: `aws --profile {name}` gets the MFA session"
        )
        if _which("mfaenv") is None:
            say("warning: `mfaenv` is not on PATH, so the AWS CLI cannot run that credential_process")
    else:
        say(
            f"to give the AWS CLI and SDKs the MFA session, add `credential_process = {line}` "
            f"to [{config_section(name)}] of {cfg}"
        )


def _from_file(name: str, values: Mapping[str, str], path: str) -> tuple[str, str]:
    if not all(values.get(k, "").strip() for k in _LONG_TERM):
        raise MfaenvError(f"[{name}] of {path} has no aws_access_key_id and aws_secret_access_key to move")
    if values.get("aws_session_token", "").strip():
        raise MfaenvError(
            f"[{name}] of {path} holds temporary credentials (aws_session_token); only long-term keys move"
        )
    source = f"[{name}] of {path}"
    return (
        keystore.check_key_id(values["aws_access_key_id"], source),
        keystore.check_secret(values["aws_secret_access_key"], source),
    )


def _typed(name: str) -> tuple[str, str]:
    """The key id and secret: asked on the terminal (secret not echoed), else two lines of stdin."""
    if sys.stdin.isatty():
        with open_tty() as tty:
            if tty is not None:
                key_id = keystore.check_key_id(ask(tty, f"AWS access key id for profile {name!r}: "), "the terminal")
                secret = keystore.check_secret(ask_hidden(tty, "AWS secret access key (not shown): "), "the terminal")
                return key_id, secret
    data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        raise MfaenvError("stdin holds more than a key id and a secret; give two lines: the key id, then the secret")
    try:
        # utf-8-sig: a file saved by Notepad or PowerShell starts with a BOM (export takes it too).
        lines = [line.strip() for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    except UnicodeDecodeError:
        raise MfaenvError("stdin is not UTF-8 text; give two lines: the key id, then the secret") from None
    if len(lines) != 2:
        raise MfaenvError(f"stdin has {len(lines)} non-empty line(s); give two: the access key id, then the secret")
    return keystore.check_key_id(lines[0], "stdin"), keystore.check_secret(lines[1], "stdin")


def _want_process(name: str, cfg: str, flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if not sys.stdin.isatty():  # a script: ask nothing, the closing hint names the flag
        return False
    with open_tty() as tty:
        if tty is None:
            return False
        answer = ask(
            tty,
            f"Set `credential_process = {credential_process_line(name)}` in profile {name!r} of {cfg}, "
            f"so `aws --profile {name}` gets the MFA session? [y/N] ",
        )
    return answer.strip().lower() in ("y", "yes")


def _drop_replaced(name: str, old: Mapping[str, str], key_id: str, kind: str) -> None:
    """A key that `add` replaced: its secret leaves the store it was in, as does the same key
    when it moved to another store (else `remove` would never find that copy)."""
    old_kind = old.get(keystore.BACKEND) or "system"
    moved = old_kind != kind
    for old_id in {old.get(keystore.MARKER, "").strip(), old.get(keystore.RETIRED, "").strip()} - {""}:
        if old_id == key_id and not moved:
            continue  # the item just written
        try:
            old_id = keystore.check_key_id(old_id, f"the replaced key of profile {name!r}")
        except MfaenvError:
            continue  # not a key id: nothing of ours is stored under it
        try:
            store = keystore.open_store(old_kind)
            if store.delete(name, old_id) and old_id == key_id:
                say(f"deleted the copy of key {keystore.hint(old_id)} in the {store.name}, where it was before")
        except MfaenvError as e:
            say(
                f"warning: could not delete the replaced key {keystore.hint(old_id)} from the {old_kind} store: "
                f"{e.message}"
            )


def remove(profile: str, env: Mapping[str, str], yes: bool = False) -> None:
    name = keystore.check_profile(profile)
    (cfg_label, cfg, cfg_named), (_, cred, _) = config_paths(env)
    sections = read_file(cfg_label, cfg, cfg_named)
    values = sections.get(config_section(name), {})
    if not values.get(keystore.MARKER, "").strip():
        held = ", ".join(stored_profiles(sections)) or "none (`mfaenv add PROFILE` stores a profile's keys)"
        what = "keeps no keys in a store" if config_section(name) in sections else f"is not in {cfg}"
        raise MfaenvError(
            f"profile {name!r} {what} (no {keystore.MARKER} for it); profiles with keys in a store: {held}"
        )
    key_id = keystore.check_key_id(values[keystore.MARKER], f"{keystore.MARKER} of profile {name!r}")
    retired = values.get(keystore.RETIRED, "").strip()
    if retired:  # checked before anything is deleted: a planted name must not stop us halfway
        retired = keystore.check_key_id(retired, f"{keystore.RETIRED} of profile {name!r}")
    kind = keystore.kind_of(values)
    store = keystore.open_store(kind)
    if not yes:
        with open_tty() as tty:
            if tty is None:
                raise MfaenvError(f"no terminal to confirm on; pass --yes to delete the keys of profile {name!r}")
            store.check()  # a locked or missing store is said before the question, which then names it
            answer = ask(
                tty,
                f"Delete the keys of profile {name!r} ({keystore.hint(key_id)}) from the {store.name}? "
                "The key stays valid in IAM. [y/N] ",
            )
        if answer.strip().lower() not in ("y", "yes"):
            raise MfaenvError("nothing removed")
    gone = store.delete(name, key_id)
    if retired:
        store.delete(name, retired)
    changes: dict[str, str | None] = dict.fromkeys((keystore.MARKER, keystore.BACKEND, keystore.RETIRED))
    if values.get("credential_process", "").strip() == credential_process_line(name):
        changes["credential_process"] = None
    credfile.update_section(Path(cfg), config_section(name), changes, say, create=False, lock=Path(cred))
    from mfaenv.store import cachedir, cleanup

    cleanup.forget(cachedir.path(dict(env)), name)
    said = "deleted" if gone else "found nothing to delete for"
    say(
        f"{said} the keys of profile {name!r} ({keystore.hint(key_id)}) in the {store.name}, and its marker in {cfg}; "
        "the key itself still works in IAM until you deactivate it"
    )


def stored_profiles(sections: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The profiles of the config file whose keys are in a store (a marker names their key id)."""
    names = []
    for section, values in sections.items():
        if values.get(keystore.MARKER, "").strip():
            names.append(section[len("profile ") :].strip() if section.startswith("profile ") else section)
    return sorted(names)


def _which(program: str) -> str | None:
    import shutil

    return shutil.which(program, path=os.environ.get("PATH"))
