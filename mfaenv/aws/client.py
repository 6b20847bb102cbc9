"""The botocore client for one call, and the call itself within the deadline. I/O edge.

botocore (boto3's engine) is imported here and in mfaenv.aws.transport only, and
only when a call is made: it costs a third of a second, which fast paths must
not pay. boto3's resource layer adds nothing for a few plain calls, so the
client comes straight from botocore.
"""

from __future__ import annotations

from mfaenv.aws import limits
from mfaenv.aws.explain import explain
from mfaenv.aws.limits import CONNECT_TIMEOUT, MAX_ATTEMPTS, READ_TIMEOUT, deadline, setting
from mfaenv.errors import MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from mfaenv.plan import Session
    from mfaenv.store.config import SourceProfile

    T = TypeVar("T")


def make_client(profile: SourceProfile, service: str, mfa_session: Session | None = None, once: bool = False) -> Any:
    """A client for `service`; `once` for a request that carries an MFA code: botocore never resends it.

    A retry after a lost answer would send a code STS may already have spent, and
    its "invalid code" would hide the network failure (mfaenv.aws.explain says so instead).
    """
    import botocore.config
    from botocore.exceptions import BotoCoreError

    from mfaenv.aws import transport

    # profile= makes botocore take the endpoint settings (AWS_ENDPOINT_URL_STS,
    # a profile's `services`) from the source profile; the explicit keys mean
    # no credential from the environment is ever looked at.
    session = transport.session(profile.name)
    _share_files(session)
    config = botocore.config.Config(
        connect_timeout=setting("MFAENV_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
        read_timeout=setting("MFAENV_READ_TIMEOUT", READ_TIMEOUT),
        retries={"mode": "standard", "total_max_attempts": 1 if once else setting("MFAENV_MAX_ATTEMPTS", MAX_ATTEMPTS)},
        user_agent_appid="mfaenv",
    )
    try:
        client = session.create_client(
            service,
            region_name=profile.region,
            # An MFA session signs the IAM calls of `rotate`; everything else uses the long-term keys.
            aws_access_key_id=mfa_session.access_key_id if mfa_session else profile.access_key_id,
            aws_secret_access_key=mfa_session.secret_access_key if mfa_session else profile.secret_access_key,
            aws_session_token=mfa_session.session_token if mfa_session else None,
            config=config,
        )
    except (BotoCoreError, ValueError) as e:  # its config reading, an endpoint URL it refuses
        raise MfaenvError(f"botocore cannot set up the {service} client: {str(e).splitlines()[0]}") from None
    return transport.bound(client)


def _share_files(session: Any) -> None:
    """Give botocore the AWS files as mfaenv read them, so it does not parse them again (half a second
    for a 5,000-profile config). Session.full_config is public, its cache `_config` is not; botocore
    has kept it since 2013, and tests/test_index.py fails if botocore parses again."""
    import os

    from mfaenv.store import config

    session._config = config.for_botocore(os.environ)


def call(
    client: Any,
    profile: SourceProfile,
    op: str,
    call: Callable[[], T],
    secrets: tuple[str, ...] = (),
    serial: str = "?",
) -> T:
    """call() within the deadline, every failure mapped to one line."""

    try:
        return limits.within(deadline(), call)
    except MfaenvError:
        raise
    except Exception as e:  # noqa: BLE001 - every botocore failure is mapped to one line
        raise explain(e, client, profile, op, secrets, serial) from None
