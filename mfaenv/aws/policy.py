"""The IAM policy that makes long-term keys useless without the MFA device. Pure.

Everything is denied unless the request was signed with MFA-backed
credentials, except what a user needs to set up a device and to call
GetSessionToken. `BoolIfExists` matters: with long-term keys the
aws:MultiFactorAuthPresent key is absent, and a plain `Bool` test would not
match, letting the request through.
"""

from __future__ import annotations

from typing import Any

# What the user may do without MFA: see and set up their own device, and
# exchange keys plus a code for a session.
_WITHOUT_MFA_ON_SELF = [
    "iam:ListMFADevices",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:GetUser",
]


def force_mfa(user: str | None = None, max_age: int | None = None) -> dict[str, Any]:
    """The policy document; `user` scopes it to one user (default: whoever it is attached to)."""
    name = user or "${aws:username}"
    deny_condition: dict[str, Any] = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowSetUpOwnMfaWithoutMfa",
            "Effect": "Allow",
            "Action": _WITHOUT_MFA_ON_SELF,
            "Resource": [f"arn:aws:iam::*:user/{name}", f"arn:aws:iam::*:mfa/{name}", "arn:aws:iam::*:mfa/*"],
        },
        {
            "Sid": "AllowListVirtualMfaDevices",
            "Effect": "Allow",
            "Action": "iam:ListVirtualMFADevices",
            "Resource": "*",
        },
        {"Sid": "AllowGetSessionToken", "Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"},
        {
            "Sid": "DenyAllExceptMfaSetupWithoutMfa",
            "Effect": "Deny",
            "NotAction": [
                *_WITHOUT_MFA_ON_SELF,
                "iam:ListVirtualMFADevices",
                "sts:GetSessionToken",
                "sts:GetCallerIdentity",
            ],
            "Resource": "*",
            "Condition": deny_condition,
        },
    ]
    if max_age is not None:
        # Plain NumericGreaterThan, not ...IfExists: long-term keys carry no
        # MultiFactorAuthAge, and with IfExists this statement would deny them
        # the device set-up the statement above leaves open (and mfaenv's own
        # ListMFADevices lookup). Requests without MFA are the first deny's job.
        statements.append(
            {
                "Sid": "DenyAllWhenMfaIsOld",
                "Effect": "Deny",
                "NotAction": ["sts:GetSessionToken", "sts:GetCallerIdentity"],
                "Resource": "*",
                "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": str(max_age)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


EXPLANATION = (
    "Attach this to the IAM user (or its group). With it, the long-term keys in ~/.aws/credentials "
    "can do nothing but set up an MFA device and call GetSessionToken: everything else needs a session "
    "made with a code from the device, so a copied credentials file alone is of no use to anyone. "
    "BoolIfExists also denies requests where the MFA key is absent, which is the case for long-term keys."
)
