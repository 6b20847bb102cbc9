"""`mfaenv whoami`: who the credentials in effect belong to, and where they come from. I/O edge."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mfaenv.errors import Exit, MfaenvError

# botocore's provider names, in its precedence order, as a user would say them.
_SOURCES = {
    "env": "environment variables",
    "assume-role": "a role assumed from a profile",
    "assume-role-with-web-identity": "a web identity token",
    "sso": "IAM Identity Center (SSO)",
    "shared-credentials-file": "the credentials file",
    "custom-process": "credential_process",
    "config-file": "the config file",
    "container-role": "the container's role",
    "iam-role": "the instance's role (metadata service)",
}


@dataclasses.dataclass(frozen=True)
class Identity:
    arn: str
    account: str
    user_id: str
    source: str
    warnings: tuple[str, ...]
    chain: tuple[str, ...] = ()  # for a role: the profiles it came through, source first


def chain_of(method: str, env: Mapping[str, str]) -> tuple[str, ...]:
    """The role chain behind the credentials in effect, read from the config; () when not a role."""
    from mfaenv.store import roles
    from mfaenv.store.config import read_profiles

    if method == "env" and env.get("MFAENV_PROFILE"):
        name = env["MFAENV_PROFILE"]
    elif method == "assume-role":
        name = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    else:
        return ()
    try:
        return roles.describe(name, read_profiles(env))
    except MfaenvError:  # unreadable files: whoami still answers who, just not how
        return ()


def source_of(method: str, env: Mapping[str, str]) -> str:
    if method == "env":
        if env.get("MFAENV_PROFILE") or env.get("MFAENV_EXPIRES"):
            return f"environment variables, an mfaenv session of profile {env.get('MFAENV_PROFILE') or '?'}"
        return "environment variables, not set by mfaenv"
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    where = _SOURCES.get(method, method)
    return (
        f"{where}, profile {profile}"
        if method in ("shared-credentials-file", "config-file", "custom-process", "assume-role", "sso")
        else where
    )


def warnings_for(method: str, env: Mapping[str, str]) -> tuple[str, ...]:
    out = []
    if method == "env" and (env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")):
        out.append(
            "AWS_PROFILE is set as well: botocore and the AWS CLI use the environment keys, but the JS SDK v3 "
            "uses the profile; `mfaenv login` moves AWS_PROFILE aside for this reason"
        )
    if env.get("AWS_SECURITY_TOKEN") and env.get("AWS_SECURITY_TOKEN") != env.get("AWS_SESSION_TOKEN"):
        out.append("AWS_SECURITY_TOKEN differs from AWS_SESSION_TOKEN: botocore sends AWS_SECURITY_TOKEN; unset it")
    return tuple(out)


def _credential_failure(e: Exception, env: Mapping[str, str]) -> MfaenvError:
    """One line for what botocore raises while loading the credentials in effect."""
    from botocore import exceptions as bx

    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    if isinstance(e, RuntimeError) and "expired" in str(e):
        # botocore's refresh of expired environment credentials (AWS_CREDENTIAL_EXPIRATION in the past).
        who = env.get("MFAENV_PROFILE")
        again = f"mfaenv login --profile {who}" if who else "mfaenv login"
        return MfaenvError(f"the session in this shell's environment has expired; run `{again}` for a new one")
    if isinstance(e, (bx.RefreshWithMFAUnsupportedError, EOFError)):
        return _role_needs_code(profile)
    if isinstance(e, bx.BotoCoreError):
        return MfaenvError(f"cannot load the credentials of profile {profile}: {str(e).splitlines()[0]}")
    return MfaenvError(f"cannot load credentials: {type(e).__name__}")


def _refuse_mfa_role(env: Mapping[str, str]) -> None:
    """A role profile with mfa_serial: botocore would ask for the code itself (getpass, or stdin
    without a terminal, with warnings) and then cache nothing. Say how to log in instead."""
    if env.get("AWS_ACCESS_KEY_ID"):
        return  # environment credentials come first in botocore's chain
    from mfaenv.store.config import parsed

    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    try:
        settings = parsed(env)[0].get(profile, {})
    except MfaenvError:
        return  # botocore words a broken file its own way
    if settings.get("role_arn") and settings.get("mfa_serial"):
        raise _role_needs_code(profile)


def _role_needs_code(profile: str) -> MfaenvError:
    return MfaenvError(
        f"profile {profile} assumes a role with MFA, and botocore cannot ask for the code here; "
        f"run `mfaenv login --profile {profile}` first"
    )


def whoami(env: Mapping[str, str]) -> Identity:
    import botocore.config
    from botocore import exceptions as bx

    from mfaenv.aws import limits, shapes, transport
    from mfaenv.aws.limits import deadline

    _refuse_mfa_role(env)
    session = transport.session(None)  # the SDK's own chain: no profile forced
    try:
        creds = session.get_credentials()
    except Exception as e:  # noqa: BLE001 - mapped to one line
        raise _credential_failure(e, env) from None
    if creds is None:
        raise MfaenvError("no AWS credentials in effect: no environment keys, no profile keys, no role")
    method = getattr(creds, "method", "") or ""
    config = botocore.config.Config(
        connect_timeout=5, read_timeout=15, retries={"mode": "standard", "total_max_attempts": 3}
    )
    try:
        client = transport.bound(
            session.create_client(
                "sts", region_name=session.get_config_variable("region") or "us-east-1", config=config
            )
        )
    except (bx.BotoCoreError, ValueError) as e:  # config it cannot read, an endpoint URL it refuses
        raise MfaenvError(f"botocore cannot set up the sts client: {str(e).splitlines()[0]}") from None
    try:
        reply: dict[str, Any] = limits.within(deadline(), client.get_caller_identity)
        # Printed as they come: visible ASCII only (API reference: ARN 20-2048 characters, account 12 digits).
        arn, account, user_id = (shapes.visible(reply.get(k), k, 2048) for k in ("Arn", "Account", "UserId"))
    except (RuntimeError, EOFError, bx.RefreshWithMFAUnsupportedError, bx.CredentialRetrievalError) as e:
        # Credentials are loaded lazily, at the call.
        raise _credential_failure(e, env) from None
    except shapes.BadShape as e:
        raise MfaenvError(
            f"{client.meta.endpoint_url} answered with something that is not an STS response ({e}); check the endpoint",
            Exit.AWS,
        ) from None
    except Exception as e:  # noqa: BLE001 - mapped to one line
        from mfaenv.aws.explain import explain
        from mfaenv.store.config import SourceProfile

        # explain() names the profile; here it is whatever the SDK chain chose.
        who = SourceProfile(source_of(method, env), creds.access_key or "????????", "", None, "", {})
        raise explain(e, client, who, "GetCallerIdentity") from None
    return Identity(arn, account, user_id, source_of(method, env), warnings_for(method, env), chain_of(method, env))
