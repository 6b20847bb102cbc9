"""`mfaenv rotate`: a new access key for the profile, the old one deleted, with a working key at every moment.

The steps, each leaving a state the next run can finish (docs/keys.md):

1. an MFA session with the current key (cached or new: IAM calls need MFA under the usual policy);
2. CreateAccessKey; the new key is stored beside the current one, which stays in use;
3. GetCallerIdentity with the new key, retried while IAM propagates it;
4. the profile is switched to the new key in one atomic write, naming the old one as retired;
5. DeleteAccessKey of the old key, then its secret and its cached sessions go.

Killed after 2, the next rotate finds the new key both in IAM and in the store
and resumes at 3; killed after 4, it finds the retired key and finishes 5.
Killed inside 2, before the new key was stored, IAM holds a key nobody has:
the next rotate names it as the one to delete. A login works throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from mfaenv import inputs
from mfaenv.aws import iam, sts
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from mfaenv.store import cachedir, cleanup, credfile, keystore
from mfaenv.store.config import SourceProfile, choose_profile, config_paths, load_profile, read_file
from mfaenv.terminal import say

#: How long a new key may take to work (IAM is eventually consistent; seconds are usual).
DEFAULT_WAIT = 60
_PENDING_ID, _PENDING_SECRET, _RETIRED_ID = (
    "mfaenv_pending_access_key_id",
    "mfaenv_pending_secret_access_key",
    "mfaenv_retired_access_key_id",
)


class KeyringKeys:
    """The profile's keys in a store: secrets as items, the marker in the config file as the pointer."""

    def __init__(self, profile: SourceProfile, config: Path, lock: Path) -> None:
        self.profile, self.config, self.lock = profile, config, lock  # lock: the credentials file's
        self.kind = keystore.kind_of(profile.settings)
        self.store = keystore.open_store(self.kind)
        self.settings_file = config  # where the marker and the retired key id are written
        self.retired_setting = keystore.RETIRED

    @property
    def where(self) -> str:
        return f"the {self.store.name}"  # as add and remove name it (resolved once the store was opened)

    def retired(self) -> str | None:
        return self.profile.settings.get(keystore.RETIRED, "").strip() or None

    def pending_secret(self, key_id: str) -> str | None:
        return self.store.get(self.profile.name, key_id)

    def put_pending(self, key_id: str, secret: str) -> None:
        self.store.put(self.profile.name, key_id, secret)
        if self.store.get(self.profile.name, key_id) != secret:
            raise MfaenvError(f"the {self.store.name} did not give the new key back; the old key stays in use")

    def promote(self, key_id: str, secret: str, old: str) -> None:
        section = "default" if self.profile.name == "default" else f"profile {self.profile.name}"
        credfile.update_section(
            self.config, section, {keystore.MARKER: key_id, keystore.RETIRED: old}, say, lock=self.lock
        )

    def forget(self, old: str) -> None:
        self.store.delete(self.profile.name, old)
        section = "default" if self.profile.name == "default" else f"profile {self.profile.name}"
        credfile.update_section(self.config, section, {keystore.RETIRED: None}, say, create=False, lock=self.lock)


class FileKeys:
    """The profile's keys in the credentials file: the new key waits in mfaenv_pending_* keys of the same section."""

    def __init__(self, profile: SourceProfile, path: Path, values: Mapping[str, str]) -> None:
        self.profile, self.path, self.values = profile, path, values
        self.where = self.settings_file = str(path)
        self.retired_setting = _RETIRED_ID

    def retired(self) -> str | None:
        return self.values.get(_RETIRED_ID, "").strip() or None

    def pending_secret(self, key_id: str) -> str | None:
        if self.values.get(_PENDING_ID, "").strip() == key_id:
            return self.values.get(_PENDING_SECRET, "").strip() or None
        return None

    def put_pending(self, key_id: str, secret: str) -> None:
        self._set({_PENDING_ID: key_id, _PENDING_SECRET: secret})

    def promote(self, key_id: str, secret: str, old: str) -> None:
        self._set(
            {
                "aws_access_key_id": key_id,
                "aws_secret_access_key": secret,
                _PENDING_ID: None,
                _PENDING_SECRET: None,
                _RETIRED_ID: old,
            }
        )

    def forget(self, old: str) -> None:
        self._set({_RETIRED_ID: None})

    def _set(self, changes: dict[str, str | None]) -> None:
        credfile.update_section(self.path, self.profile.name, changes, say, create=False, private=True)


def rotate(env: Mapping[str, str], mfa_session: Callable[[str], Session], profile: str | None = None) -> None:
    """Rotate the profile's key; `mfa_session(profile)` logs in as `mfaenv login` would (the caller's options)."""
    wait = _wait_setting(env)
    name = choose_profile(profile, env)
    source = keystore.attach(load_profile(name, env))
    keys = _keys_of(source, env)
    # Before any call or question: deleting the old key in IAM would leave these profiles with a dead key.
    _refuse_shared(source, source.access_key_id, env)
    # The current key's owner: GetCallerIdentity with the long-term key needs no permission,
    # and names the IAM user whose keys these are.
    owner = sts.caller_arn(source)
    if ":user/" not in owner:
        raise MfaenvError(
            f"the key of profile {source.name!r} belongs to {owner}, not to an IAM user; "
            "rotate root keys in the console (better: delete them)"
        )
    user = owner.rsplit("/", 1)[-1]
    session = mfa_session(source.name)
    ids = iam.list_access_keys(source, session, user)
    current = source.access_key_id
    if current not in ids:
        raise MfaenvError(
            f"the key {current} of profile {source.name!r} is not among IAM user {user}'s keys; nothing was changed",
            Exit.AWS,
        )
    folder = cachedir.path(dict(env))
    retired = keys.retired()
    if retired is not None:
        # Read from a file: a key id of the right shape, and never the key in use.
        retired = keystore.check_key_id(retired, f"the retired key of profile {source.name!r}")
        if retired == current:
            raise MfaenvError(
                f"profile {source.name!r} names its own key {current} as retired; nothing was deleted: remove the "
                f"`{keys.retired_setting}` line from {keys.settings_file} if the rotation is over"
            )
        _refuse_shared(source, retired, env)
        dropped = _delete_old(source, session, user, retired, ids, keys, folder)
        say(
            f"finished the rotation that was interrupted: deleted {retired}; profile {source.name!r} uses {current}"
            f"{_dropped(dropped)}"
        )
        return
    others = [i for i in ids if i != current]
    pending = next(((o, s) for o in others if (s := keys.pending_secret(o))), None)
    if pending:
        say(f"resuming the rotation that was interrupted: the new key {pending[0]} is already stored")
    elif others:
        raise MfaenvError(
            f"IAM user {user} already has two access keys, {current} (profile {source.name!r} uses it) and "
            f"{others[0]}, and IAM allows two: delete {others[0]} first if nothing uses it "
            f"(`aws iam delete-access-key --user-name {user} --access-key-id {others[0]}`), "
            f"then run `mfaenv rotate {source.name}` again"
        )
    else:
        pending = iam.create_access_key(source, session, user)
        if pending[0] in ids:
            # An answer naming a key that exists already (the one in use): storing it would
            # overwrite that key's secret, and the last step would delete the key in use.
            raise MfaenvError(
                f"IAM answered CreateAccessKey with the existing key {pending[0]}; nothing was stored or deleted; "
                "check the endpoint, and the user's keys",
                Exit.AWS,
            )
        keys.put_pending(*pending)
    new_id, new_secret = pending
    _wait_until_it_works(source, new_id, new_secret, owner, wait)
    keys.promote(new_id, new_secret, current)
    dropped = _delete_old(source, session, user, current, ids, keys, folder)
    say(
        f"rotated the key of profile {source.name!r} in {keys.where}: {current} is deleted, {new_id} is in use"
        f"{_dropped(dropped)}"
    )


def _dropped(count: int) -> str:
    if not count:
        return ""
    sessions = "session" if count == 1 else "sessions"
    return f"; dropped {count} cached {sessions} of the old key, so the next login asks for an MFA code"


def _refuse_shared(source: SourceProfile, key_id: str, env: Mapping[str, str]) -> None:
    """Refuse to rotate a key that other profiles hold too (in either file, or as a store's marker)."""
    (cfg_label, cfg, cfg_named), (cred_label, cred, cred_named) = config_paths(env)
    holders = []
    for path, label, named, is_config in ((cred, cred_label, cred_named, False), (cfg, cfg_label, cfg_named, True)):
        for section, values in read_file(label, path, named).items():
            profile = section[len("profile ") :].strip() if is_config and section.startswith("profile ") else section
            held = {values.get("aws_access_key_id", "").strip(), values.get(keystore.MARKER, "").strip()}
            if profile != source.name and key_id in held:
                holders.append(f"{profile!r} (in {path})")
    if holders:
        raise MfaenvError(
            f"the key {key_id} of profile {source.name!r} is also the key of profile {', '.join(holders)}; "
            "rotating would delete it in IAM under them, so nothing was changed: give each of them its own key, "
            "or delete their copies, then rotate again"
        )


def _keys_of(source: SourceProfile, env: Mapping[str, str]) -> KeyringKeys | FileKeys:
    (_, cfg, _), (cred_label, cred, cred_named) = config_paths(env)
    if source.settings.get(keystore.MARKER, "").strip():
        return KeyringKeys(source, Path(cfg), Path(cred))
    values = read_file(cred_label, cred, cred_named).get(source.name, {})
    if values.get("aws_access_key_id", "").strip() != source.access_key_id:
        raise MfaenvError(
            f"the keys of profile {source.name!r} are not in {cred}, and rotate writes the new key there; "
            f"move them there, or into a keyring with `mfaenv add {source.name}`"
        )
    return FileKeys(source, Path(cred), values)


def _wait_setting(env: Mapping[str, str]) -> int:
    """MFAENV_ROTATE_WAIT, read before anything changes: a bad value must not stop a rotation halfway."""
    text = env.get("MFAENV_ROTATE_WAIT", "")
    wait = inputs.number(text, 6) if text else DEFAULT_WAIT
    if wait is None:
        raise MfaenvError(f"MFAENV_ROTATE_WAIT must be whole seconds from 0 to 999999, not {inputs.shown(text)}")
    return wait


def _wait_until_it_works(source: SourceProfile, key_id: str, secret: str, owner: str, wait: int) -> None:
    probe = source._replace(access_key_id=key_id, secret_access_key=secret)
    deadline, delay = time.monotonic() + wait, 1.0
    while True:
        arn = iam.key_works(probe)
        if arn == owner:
            return
        if arn is not None:
            raise MfaenvError(
                f"the new key {key_id} answers as {arn}, not as {owner}; the profile still uses {source.access_key_id}",
                Exit.AWS,
            )
        if time.monotonic() + delay > deadline:
            raise MfaenvError(
                f"AWS does not accept the new key {key_id} after {wait} s; the profile still uses "
                f"{source.access_key_id}; run `mfaenv rotate {source.name}` again later to finish",
                Exit.AWS,
            )
        time.sleep(delay)
        delay = min(delay * 2, 8.0)


def _delete_old(
    source: SourceProfile,
    session: object,
    user: str,
    old: str,
    ids: list[str],
    keys: KeyringKeys | FileKeys,
    folder: str,
) -> int:
    """The old key deleted in IAM and in the store; the number of its cached sessions dropped."""
    if old in ids:
        iam.delete_access_key(source, session, user, old)  # type: ignore[arg-type]
    keys.forget(old)
    return cleanup.forget_key(folder, source.name, old)
