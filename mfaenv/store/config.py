"""The source profile: its long-term keys and settings, read from the AWS files.

Only the files are read, never the credential environment variables: those
hold the session we are about to replace, and GetSessionToken refuses session
credentials. botocore's own resolver is not used for the keys because, for a
profile without keys, it would go on to role assumption, SSO, the container
or the instance metadata service instead of saying what is wrong.
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Mapping

from mfaenv.errors import MfaenvError
from mfaenv.store import index, sections
from mfaenv.store.views import ConfigProfiles, FileView, Merged, Nested

#: The key that marks a credentials-file section as a session mfaenv wrote (credfile.MARKER).
_MARKER = "mfaenv_source_profile"
#: The key that names the key id of a profile whose secret `mfaenv add` put in a store (keystore.MARKER).
KEYRING_MARKER = "mfaenv_keyring"
_NOT_STATIC = ("role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file")


class SourceProfile(namedtuple("SourceProfile", "name access_key_id secret_access_key mfa_serial region settings")):
    """A profile's long-term keys and what else it sets (settings: the merged key/values)."""

    __slots__ = ()

    @property
    def secret_access_key(self) -> str:
        # A profile whose keys are in a store holds a keystore.Deferred here (keystore.attach):
        # the store is opened only when a call needs the secret, never for a cached login.
        value = tuple.__getitem__(self, 2)
        return value if isinstance(value, str) else value()

    def __repr__(self) -> str:  # the secret key never reaches a log or a traceback
        return f"SourceProfile(name={self.name!r}, access_key_id={self.key_hint()!r}, region={self.region!r})"

    def key_hint(self) -> str:
        """The key id as AWS consoles show it: enough to recognise, not to use."""
        return f"{self.access_key_id[:4]}...{self.access_key_id[-4:]}"


def _in_store() -> str:
    # Stands for a secret in a store until keystore.attach replaces it; a call that
    # reached this would sign with nothing, so it is a bug, said as one.
    raise MfaenvError("internal error: the stored secret was not attached; please report it with --debug")


def choose_profile(option: str | None, env: Mapping[str, str]) -> str:
    """--profile, else AWS_PROFILE, else the profile of the session in effect, else default."""
    return option or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or env.get("MFAENV_PROFILE") or "default"


def config_paths(env: Mapping[str, str]) -> tuple[tuple[str, str, bool], ...]:
    """(label, path, named by an environment variable) for the config and credentials files."""
    out = []
    for var, default, label in (
        ("AWS_CONFIG_FILE", "~/.aws/config", "config file"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", "credentials file"),
    ):
        given = env.get(var)
        out.append(
            (
                f"{label} {given or default}" + (f" (from {var})" if given else ""),
                os.path.expanduser(given or default),
                bool(given),
            )
        )
    return tuple(out)


#: AWS files larger than this are refused unread. A 160 MB credentials file once took
#: 175 s and 3.9 GB to parse; 2 MiB holds over 12,000 generated SSO profiles (parsed
#: here in half a second), far more than any real file.
MAX_FILE_BYTES = 2 << 20


def read_aws_file(path: str, label: str, named: bool = True) -> bytes | None:
    """The bytes of an AWS file; None for an absent default file."""
    got = _read_with_stat(path, label, named)
    return None if got is None else got[0]


def _read_with_stat(path: str, label: str, named: bool) -> tuple[bytes, os.stat_result] | None:
    """The bytes of an AWS file and its fstat; None for an absent default file.

    Opened without blocking, so a FIFO in its place can't hang a login; only a
    regular file (or a device such as /dev/null, which some set to disable the
    file) is read, and at most MAX_FILE_BYTES of it.
    """
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        if named:
            raise MfaenvError(f"the {label} does not exist; fix the variable or create the file") from None
        return None
    except OSError as e:
        if os.path.isdir(path):  # Windows refuses to open a folder
            raise MfaenvError(f"the {label} is a directory, not a file") from None
        raise MfaenvError(f"cannot read the {label}: {e.strerror}") from None
    info = os.fstat(fd)
    mode = info.st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
        os.close(fd)
        if stat.S_ISDIR(mode):  # Linux opens folders for reading
            raise MfaenvError(f"the {label} is a directory, not a file")
        raise MfaenvError(f"the {label} is not a regular file (a pipe or a socket?); point the variable at the file")
    with open(fd, "rb", closefd=True) as f:
        try:
            data = f.read(MAX_FILE_BYTES + 1) or b""
        except OSError as e:  # a terminal or another device that has nothing to give without waiting
            raise MfaenvError(f"cannot read the {label}: {e.strerror}") from None
        after = os.fstat(fd)
        if not stat.S_ISREG(mode) or (after.st_size, after.st_mtime_ns, after.st_ctime_ns) != (
            info.st_size,
            info.st_mtime_ns,
            info.st_ctime_ns,
        ):
            info = None  # written to while read (or a device): no index for these bytes
    if len(data) > MAX_FILE_BYTES:
        raise MfaenvError(
            f"the {label} is larger than {MAX_FILE_BYTES >> 20} MiB, far more than any AWS file needs; "
            "check that it is the right file"
        )
    return data, info  # type: ignore[return-value]


def _check_bom(data: bytes, label: str) -> None:
    if data.startswith(b"\xef\xbb\xbf"):
        # botocore (so the AWS CLI and every SDK on it) fails on such a file.
        raise MfaenvError(
            f"the {label} starts with a byte order mark (BOM), which botocore cannot read; save it as UTF-8 without BOM"
        )


def read_file(label: str, path: str, named: bool) -> dict[str, dict[str, str]]:
    """Every section of one file, as botocore reads them; {} for an absent default file.

    configparser directly, as botocore's raw_config_parse does, because importing
    botocore costs a third of a second that a cached login must not pay.
    Nested settings (`s3 =` followed by indented lines) stay one string: no key we read is nested.
    """
    return dict(_view(label, path, named, "", None).items())


def _view(label: str, path: str, named: bool, kind: str, folder: str | None) -> FileView:
    got = _read_with_stat(path, label, named)
    if got is None:
        return FileView.whole({})
    data, info = got
    _check_bom(data, label)
    try:
        if info is None or not kind:
            return index.whole(data, path)
        return index.view(data, info, path, kind, folder)
    except sections.ParseError as e:
        raise MfaenvError(f"cannot parse the {label}: {e}") from None


_Profiles = Mapping[str, dict[str, str]]
_parsed: dict[tuple[object, ...], tuple[_Profiles, _Profiles, _Profiles]] = {}


def _stamp(path: str) -> tuple[object, ...]:
    try:
        st = os.stat(path)
    except OSError:
        return (path,)
    return (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def parsed(env: Mapping[str, str]) -> tuple[_Profiles, _Profiles, _Profiles]:
    """(merged profiles, config-file profiles, credentials-file profiles), merged the way botocore merges them.

    Read once per process while the files stay as they are: a login asks several questions of them.
    Each is a mapping whose values are parsed when asked for (store.index): a
    cached login reads two sections of a 5,000-profile config, not all of them.
    """
    (cfg_label, cfg_path, cfg_named), (cred_label, cred_path, cred_named) = config_paths(env)
    key = (*_stamp(cfg_path), *_stamp(cred_path), cfg_named, cred_named, _index_folder(env))
    if key not in _parsed:
        _parsed.clear()
        folder = _index_folder(env)
        config = _view(cfg_label, cfg_path, cfg_named, "config", folder)
        creds = _view(cred_label, cred_path, cred_named, "credentials", folder)
        from_config = ConfigProfiles(config)
        _parsed[key] = (Merged(from_config, creds), from_config, creds)
    return _parsed[key]


def _index_folder(env: Mapping[str, str]) -> str | None:
    """The session cache folder the index sits beside; None with MFAENV_NO_CACHE (touch no cache file)."""
    if env.get("MFAENV_NO_CACHE", "") not in ("", "0"):
        return None
    from mfaenv.store import cachedir

    try:
        return cachedir.path(dict(env))
    except MfaenvError:
        return None


def for_botocore(env: Mapping[str, str]) -> dict[str, object]:
    """What botocore's Session.full_config would hold, from the files as read here (no second parse).

    Only what a client with explicit keys reads: the profiles and the `services` sections.
    """
    merged, from_config, _ = parsed(env)
    file = from_config.file  # type: ignore[attr-defined]
    try:
        services = {
            name: {k: sections.nested(v) for k, v in file[section].items()}
            for name, section in sections.services(list(file)).items()
        }
    except sections.ParseError as e:
        raise MfaenvError(f"cannot parse the {config_paths(env)[0][0]}: {e}") from None
    return {"profiles": Nested(merged), "services": services, "sso_sessions": {}}


def read_profiles(env: Mapping[str, str]) -> Mapping[str, dict[str, str]]:
    """Every profile's settings, merged the way botocore merges the two files (for role chains)."""
    return parsed(env)[0]


#: Config-file keys that make a profile something other than a session mfaenv wrote.
_CREDENTIAL_KEYS = (*_NOT_STATIC, "source_profile", "credential_source", "aws_access_key_id", "aws_session_token")


def is_written_profile(name: str, env: Mapping[str, str]) -> bool:
    """Whether profile `name` is a session section mfaenv wrote (it carries the marker)."""
    try:
        return _MARKER in parsed(env)[2].get(name, {})
    except MfaenvError:
        return False  # load_profile says what is wrong with the files


def foreign_settings(name: str, env: Mapping[str, str]) -> str | None:
    """The first credential setting of profile `name` in the config file, which a written session would shadow."""
    settings = parsed(env)[1].get(name, {})
    return next((k for k in _CREDENTIAL_KEYS if k in settings), None)


def load_profile(name: str, env: Mapping[str, str]) -> SourceProfile:
    """The named profile's long-term keys, merged the way botocore merges the two files."""
    (cfg_label, _, _), (cred_label, _, _) = config_paths(env)
    profiles, config, creds = parsed(env)
    if name not in profiles:
        if not config and not creds:
            raise MfaenvError(
                f"profile {name!r} not found: there is no {cred_label} and no {cfg_label}; "
                "store the long-term keys with `aws configure`"
            )
        known = ", ".join(sorted(profiles)) or "none"
        raise MfaenvError(f"profile {name!r} not found in the {cred_label} or the {cfg_label}; known profiles: {known}")
    values = profiles[name]
    source = values.get(_MARKER, "").strip()
    if source and source != name and source in profiles:
        # A session profile mfaenv wrote (e.g. AWS_PROFILE=work-mfa): renew it from its source.
        name, values = source, profiles[source]
    key_id = values.get("aws_access_key_id", "").strip()
    secret: object = values.get("aws_secret_access_key", "").strip()
    if values.get(KEYRING_MARKER, "").strip():
        # `mfaenv add` moved the keys into a store (docs/keys.md): the marker
        # names the key id, and store.keystore.attach puts a reader of the secret in its place.
        key_id, secret = values[KEYRING_MARKER].strip(), _in_store
    if not key_id or not secret:
        other = next((k for k in _NOT_STATIC if k in values), None)
        why = f"it uses {other}; " if other else ""
        missing = "aws_access_key_id" if not key_id else "aws_secret_access_key"
        # Say where keys go: after `mfaenv remove` the profile is left without any.
        where = "" if other else f"; put them in the {cred_label}, or store them with `mfaenv add {name}`"
        raise MfaenvError(
            f"profile {name!r} has no {missing}: {why}GetSessionToken needs an IAM user's long-term access keys{where}"
        )
    if values.get("aws_session_token", "").strip() or key_id.startswith("ASIA"):
        raise MfaenvError(
            f"profile {name!r} holds temporary credentials ({key_id[:4]}... key, or aws_session_token); "
            "GetSessionToken needs the IAM user's long-term keys (AKIA...) in that profile"
        )
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or values.get("region") or "us-east-1"
    serial = values.get("mfa_serial", "").strip() or None
    return SourceProfile(name, key_id, secret, serial, region, values)
