"""The AWS calls and their answers: time limits (limits, transport), the client (client), STS and IAM (sts, assume, iam, whoami), error lines (explain), answer shapes (shapes, stsjson) and the printed policy (policy).

botocore is imported only inside a call. It may import store and the core;
flow and cli import it. This file stays free of code.
"""
