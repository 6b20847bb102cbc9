"""Which STS endpoint a profile's calls go to, as botocore resolves it, without importing botocore.

The session cache keys each entry by this (store.cache), so a session an
emulator issued is never served to a login against AWS, nor the other way
round. botocore's order (configprovider.ConfiguredEndpointProvider):
AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the `sts` endpoint_url of the
profile's `services` section, the profile's `endpoint_url`; none of them when
AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's
ignore_configured_endpoint_urls) is true. Without any, the call goes to AWS
itself: every AWS STS endpoint issues sessions valid in its whole partition,
and the partition follows from the long-term key (also in the entry's name),
so they are one endpoint here: DEFAULT.
"""

from __future__ import annotations

from collections.abc import Mapping

from mfaenv.errors import MfaenvError
from mfaenv.store.config import config_paths, parsed, read_file

#: AWS's own endpoints, whichever region.
DEFAULT = "aws"


def sts(profile: str, env: Mapping[str, str]) -> str:
    """The endpoint `profile`'s STS calls go to, normalised: DEFAULT, or the configured URL."""
    values = parsed(env)[0].get(profile, {})
    var = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
    # botocore takes the variable when it is set at all (even empty), else the profile's setting.
    ignore = env.get(var, values.get("ignore_configured_endpoint_urls", ""))
    if ignore.lower() == "true":
        return DEFAULT
    url = env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL") or _from_services(profile, values, env)
    url = url or values.get("endpoint_url", "")
    return normalise(url) if url.strip() else DEFAULT


def normalise(url: str) -> str:
    """One spelling per endpoint: no surrounding space or trailing slash, scheme and host in lower case."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _from_services(profile: str, values: Mapping[str, str], env: Mapping[str, str]) -> str:
    """The endpoint_url under `sts =` in the profile's `[services NAME]` section of the config file, or ""."""
    name = values.get("services", "")
    if not name:
        return ""
    import shlex

    (label, path, named), _ = config_paths(env)
    found = None
    for section, settings in read_file(label, path, named).items():
        try:
            parts = shlex.split(section)
        except ValueError:
            continue  # botocore skips such a section too
        if len(parts) == 2 and parts[0] == "services" and parts[1] == name:
            found = settings  # the last one, as botocore
    if found:  # an empty section is refused by botocore too
        return _nested(found.get("sts", "")).get("endpoint_url", "")
    # botocore refuses to make the client; a cached login must not answer for it either.
    raise MfaenvError(
        f"profile {profile!r} sets services = {name}, but the {label} has no [services {name}] section; "
        "add the section or remove the line"
    )


def _nested(value: str) -> dict[str, str]:
    # As botocore's configloader._parse_nested: indented `key = value` lines under `sts =`.
    if not value.startswith("\n"):
        return {}
    out = {}
    for line in value.splitlines():
        key, sep, rest = line.strip().partition("=")
        if sep:
            out[key.strip()] = rest.strip()
    return out
