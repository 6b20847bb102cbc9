"""The printed force-MFA policy, decided by a real IAM policy evaluator (@cloud-copilot/iam-simulate).

The user has an allow-everything policy beside ours, as an administrator
would; each request context is one a real caller sends: long-term keys (no
MFA keys at all), a fresh MFA session, an old one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Mfaenv

EVALUATOR = Path(__file__).parent / "node" / "evaluate-policy.js"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
USER = "arn:aws:iam::123456789012:user/alice"

#: Request contexts: what AWS puts into a request's context for each kind of caller.
LONG_TERM: dict[str, str] = {}  # long-term keys: the MFA keys are absent
FRESH = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "600"}
OLD = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "86400"}

#: (action, resource): what a user must still be able to do without MFA.
SETUP = [
    ("iam:ListMFADevices", USER),
    ("iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/alice"),
    ("iam:EnableMFADevice", USER),
    ("iam:ResyncMFADevice", USER),
    ("iam:GetUser", USER),
    ("iam:ListVirtualMFADevices", "*"),
    ("sts:GetSessionToken", "*"),
    ("sts:GetCallerIdentity", "*"),
]
WORK = [("s3:ListAllMyBuckets", "*"), ("ec2:DescribeInstances", "*"), ("iam:CreateAccessKey", USER)]


def _decide(policy: dict[str, object], cases: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    if not shutil.which("node") or not (EVALUATOR.parent / "node_modules" / "@cloud-copilot").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node or @cloud-copilot/iam-simulate is missing; scripts/setup.sh installs them")
        pytest.skip("the policy evaluator is not installed")
    doc = {
        "policies": [ADMIN, policy],
        "requests": [{"action": a, "resource": r, "principal": USER, "context": c} for a, r, c in cases],
    }
    p = subprocess.run(["node", str(EVALUATOR)], input=json.dumps(doc).encode(), capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    decisions: list[str] = json.loads(p.stdout)
    assert not [d for d in decisions if d.startswith("error")], decisions
    return decisions


@pytest.mark.parametrize("max_age", [None, "12h"])
def test_the_policy_denies_work_without_mfa_and_leaves_device_setup_open(cli: Mfaenv, max_age: str | None) -> None:
    args = ["policy", "--user", "alice"] + (["--max-age", max_age] if max_age else [])
    policy = json.loads(cli(*args).out)
    cases = [(a, r, LONG_TERM) for a, r in SETUP + WORK] + [(a, r, FRESH) for a, r in WORK]
    decisions = _decide(policy, cases)
    expected = ["Allowed"] * len(SETUP) + ["ExplicitlyDenied"] * len(WORK) + ["Allowed"] * len(WORK)
    assert dict(zip(cases_names(cases), decisions)) == dict(zip(cases_names(cases), expected))


def test_max_age_denies_an_old_mfa_session_but_not_getting_a_new_one(cli: Mfaenv) -> None:
    policy = json.loads(cli("policy", "--max-age", "12h").out)
    cases = [(a, r, OLD) for a, r in WORK] + [("sts:GetSessionToken", "*", OLD), ("sts:GetCallerIdentity", "*", OLD)]
    assert _decide(policy, cases) == ["ExplicitlyDenied"] * len(WORK) + ["Allowed", "Allowed"]
    # Without --max-age, an old session is as good as a new one.
    assert _decide(json.loads(cli("policy").out), [(a, r, OLD) for a, r in WORK]) == ["Allowed"] * len(WORK)


def cases_names(cases: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    return [f"{a} {'mfa' if c else 'long-term'}" for a, _, c in cases]
