"""IAM: the MFA device lookup and the access-key calls rotate makes, their answers checked. I/O edge."""

from __future__ import annotations

import re

from mfaenv.aws import shapes
from mfaenv.aws.client import call, make_client
from mfaenv.aws.limits import not_an_answer
from mfaenv.errors import Exit, MfaenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.plan import Session
    from mfaenv.store.config import SourceProfile


def list_mfa_devices(profile: SourceProfile, user: str | None) -> list[str]:
    """The serials of the caller's MFA devices, as IAM lists them (checked by the caller)."""
    # IAM allows 8 MFA devices per user and a page holds 100: one call is
    # enough, and a hostile endpoint cannot keep us paging.
    client = make_client(profile, "iam")
    args = {"UserName": user} if user else {}
    reply = call(client, profile, "ListMFADevices", lambda: client.list_mfa_devices(**args))
    return [str(d.get("SerialNumber") or "") for d in reply.get("MFADevices") or []]


_LONG_TERM_ID = r"AKIA[A-Z0-9]{12,124}\Z"


def _long_term_id(value: object, field: str) -> str:

    text = shapes.visible(value, field, 128)
    if not re.match(_LONG_TERM_ID, text):
        raise shapes.BadShape(field, "is not a long-term access key id (AKIA...)")
    return text


def list_access_keys(profile: SourceProfile, session: Session, user: str) -> list[str]:
    """The ids of the user's access keys (IAM allows two; one page holds them all)."""
    client = make_client(profile, "iam", session)
    reply = call(client, profile, "ListAccessKeys", lambda: client.list_access_keys(UserName=user))
    try:
        keys = reply.get("AccessKeyMetadata")
        if not isinstance(keys, list) or len(keys) > 10:
            raise shapes.BadShape("AccessKeyMetadata", "is not a short list")
        return [_long_term_id(k.get("AccessKeyId") if isinstance(k, dict) else None, "AccessKeyId") for k in keys]
    except shapes.BadShape as e:
        raise MfaenvError(f"{not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None


def create_access_key(profile: SourceProfile, session: Session, user: str) -> tuple[str, str]:
    """A new access key of the user: (key id, secret). IAM shows the secret this once."""
    client = make_client(profile, "iam", session)
    reply = call(client, profile, "CreateAccessKey", lambda: client.create_access_key(UserName=user))
    try:
        key = reply.get("AccessKey")
        if not isinstance(key, dict):
            raise shapes.BadShape("AccessKey", "is missing")
        return _long_term_id(key.get("AccessKeyId"), "AccessKeyId"), shapes.visible(
            key.get("SecretAccessKey"), "SecretAccessKey", 128
        )
    except shapes.BadShape as e:
        raise MfaenvError(
            f"{not_an_answer(client)} ({e}); the key may exist in IAM: check the user's keys", Exit.AWS
        ) from None


def delete_access_key(profile: SourceProfile, session: Session, user: str, key_id: str) -> None:
    from botocore.exceptions import ClientError

    client = make_client(profile, "iam", session)

    def delete() -> None:
        try:
            client.delete_access_key(UserName=user, AccessKeyId=key_id)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchEntity":  # already gone: what we wanted
                raise

    call(client, profile, "DeleteAccessKey", delete)


def key_works(profile: SourceProfile) -> str | None:
    """GetCallerIdentity signed with the profile's long-term key: the ARN, or None while AWS does not know the key yet.

    A new IAM key takes a few seconds to reach STS everywhere (IAM is eventually
    consistent); until then STS answers InvalidClientTokenId.
    """
    from botocore.exceptions import ClientError

    class _NotYet(Exception):
        pass

    client = make_client(profile, "sts")

    def ask() -> Any:
        try:
            return client.get_caller_identity()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
                raise _NotYet from None
            raise

    try:
        reply = call(client, profile, "GetCallerIdentity", ask)
    except _NotYet:
        return None
    try:
        return shapes.visible(reply.get("Arn"), "Arn", 2048)
    except shapes.BadShape as e:
        raise MfaenvError(f"{not_an_answer(client)} ({e}); check the endpoint", Exit.AWS) from None
