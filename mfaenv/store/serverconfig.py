"""The private copy of the config file that lets the credential endpoint win in every SDK. I/O edge.

The SDKs' default chains read the shared credentials file before the container
endpoint, so keys in `[default]` would sign the command's calls. The command
therefore gets AWS_PROFILE=mfaenv-server and AWS_CONFIG_FILE pointing at a copy
of the user's config file with that profile added:

- the profile must exist: for a name neither file has, botocore and the AWS CLI
  stop with ProfileNotFound (the JS SDK v3 would go on to the endpoint);
- it holds no credential, so each chain finds none in the files for it and
  reaches the endpoint;
- every other profile is still there, by name, with its keys in the user's own
  credentials file (not copied);
- it carries `[default]`'s other settings (region, output, ca_bundle, ...), which
  the command would have used under plain exec, where no profile is set.

The copy is 0600 in a fresh 0700 folder of its own and deleted when the command
ends. That folder is made in a temp folder that only its owner (us or root) can
rename things in: elsewhere, another user could swap ours for a folder of theirs
whose config gives mfaenv-server a credential_process of theirs.
It is a snapshot: an edit of the config file during the run is not seen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping

from mfaenv.errors import MfaenvError
from mfaenv.store.config import config_paths, read_aws_file, read_profiles

#: A name for the profile that no user has (checked: mfaenv refuses to shadow one).
PROFILE = "mfaenv-server"

#: Settings that give a profile credentials (or name them) in any SDK: never copied from [default].
_CREDENTIAL_KEYS = (
    "source_profile",
    "external_id",
    "duration_seconds",
    "mfa_serial",
    "login_session",
    "web_identity_token_file",
)
_CREDENTIAL_PREFIXES = ("aws_", "sso_", "role_", "credential_", "mfaenv_")

_SECTION = r"\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?\Z"


def default_settings(text: str) -> list[str]:
    """The lines of [default] (or [profile default]) that hold no credential, continuation lines included."""
    out: list[str] = []
    inside = keep = False
    for line in text.splitlines():
        header = re.match(_SECTION, line.strip())
        if header and not line[:1].isspace():
            inside, keep = header.group(1) in ("default", "profile default"), False
            continue
        if not inside or not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if line[:1].isspace():  # a nested value (`s3 =` and its indented lines) goes with its key
            if keep:
                out.append(line)
            continue
        key = re.split(r"[=:]", line, maxsplit=1)[0].strip().lower()
        keep = key not in _CREDENTIAL_KEYS and not key.startswith(_CREDENTIAL_PREFIXES)
        if keep:
            out.append(line)
    return out


def contents(env: Mapping[str, str]) -> bytes:
    """The copy: the user's config file as it is, then `[profile mfaenv-server]`."""
    taken = PROFILE in read_profiles(env)  # also parses both files, so a broken one fails here, before the command
    (label, path, named), _ = config_paths(env)
    original = read_aws_file(path, label, named) or b""
    text = original.decode("utf-8")  # read_profiles parsed it: it is UTF-8
    if taken or _quoted_ours(text):
        raise MfaenvError(
            f"a profile named {PROFILE!r} exists already; exec --server needs that name for its own: rename yours"
        )
    if original and not original.endswith((b"\n", b"\r")):
        original += b"\n"
    section = "\n".join([f"[profile {PROFILE}]", *default_settings(text)]) + "\n"
    return original + b"\n" + section.encode("utf-8")


def _quoted_ours(text: str) -> bool:
    """Whether the config file has `[profile "mfaenv-server"]` (or 'mfaenv-server'): botocore and the
    JS SDK v3 unquote the name, and the JS SDK merges that section's settings, keys included, into ours."""
    for line in text.splitlines():
        header = re.match(_SECTION, line.strip())
        parts = header.group(1).split(None, 1) if header else []
        if len(parts) == 2 and parts[0] == "profile" and parts[1][:1] in "\"'" and parts[1].strip("\"'") == PROFILE:
            return True
    return False


@contextlib.contextmanager
def private_copy(env: Mapping[str, str]) -> Iterator[str]:
    """The path of the copy while the block runs; deleted afterwards."""
    data = contents(env)
    base = tempfile.gettempdir()
    _check_temp(base)
    folder = tempfile.mkdtemp(prefix="mfaenv-server-", dir=base)  # 0700, a new name: nobody else can be in it
    try:
        path = os.path.join(folder, "config")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with open(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_temp(base: str) -> None:
    """Only its owner renames in `base`: ours or root's, and writable by others only with the sticky bit (/tmp)."""
    if os.name == "nt":
        return
    st = os.stat(base)
    shared = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX
    if st.st_uid not in (0, os.getuid()) or shared:
        raise MfaenvError(
            f"the temp folder {base} can be changed by other users; exec --server keeps a config file there: "
            "set TMPDIR to a folder of your own"
        )
