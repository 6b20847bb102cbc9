"""How long an AWS call may take, and how a client names itself in errors. Pure (reads the environment).

Shared by the client (aws.client) and the error mapping (aws.explain).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from mfaenv.errors import MfaenvError
from mfaenv.inputs import number, shown

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Bounded time on a dead or slow endpoint: 3 attempts (standard retry mode,
# which retries throttling, 5xx and transport errors with jittered backoff of
# at most a few seconds), each connecting within 3 s and answering within 10 s.
# STS answers in well under a second, so a refused port fails at once, a
# silent one within about 15 s, and one that accepts but never answers within
# about 40 s. Those timeouts bound each socket operation, so a deadline bounds
# the whole call as well: by default what the timeouts allow, 3 x (3 + 10) s,
# plus 5 s for backoff. MFAENV_CONNECT_TIMEOUT, MFAENV_READ_TIMEOUT,
# MFAENV_MAX_ATTEMPTS and MFAENV_DEADLINE change them.
CONNECT_TIMEOUT = 3

READ_TIMEOUT = 10

MAX_ATTEMPTS = 3

BACKOFF_ALLOWANCE = 5


def service(client: Any) -> str:
    return "IAM" if client.meta.service_model.service_name == "iam" else "STS"


def not_an_answer(client: Any) -> str:
    return f"{client.meta.endpoint_url} answered with something that is not an {service(client)} response"


def setting(name: str, default: int, env: Mapping[str, str] | None = None) -> int:
    value = (os.environ if env is None else env).get(name, "")
    if not value:
        return default
    n = number(value, 6)
    if n is None or n < 1:
        raise MfaenvError(f"{name} must be a whole number from 1 to 999999, not {shown(value)}")
    return n


def deadline(env: Mapping[str, str] | None = None) -> int:
    """Seconds one call may take in all, retries included: MFAENV_DEADLINE, else what the timeouts allow."""
    attempts = setting("MFAENV_MAX_ATTEMPTS", MAX_ATTEMPTS, env)
    per_attempt = setting("MFAENV_CONNECT_TIMEOUT", CONNECT_TIMEOUT, env) + setting(
        "MFAENV_READ_TIMEOUT", READ_TIMEOUT, env
    )
    return setting("MFAENV_DEADLINE", attempts * per_attempt + BACKOFF_ALLOWANCE, env)


T = TypeVar("T")


class DeadlinePassed(Exception):
    """The exchange did not finish within the deadline."""


def within(seconds: float, call: Callable[[], T]) -> T:
    """call(), or DeadlinePassed once `seconds` have passed, whatever the endpoint does meanwhile."""
    import threading  # here: the cached paths read this module's settings and never call out
    import time

    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread as is
            outcome.append((False, e))

    # A daemon thread: if the deadline passes it is abandoned, and dies with the
    # process, which is about to exit with the error anyway.
    worker = threading.Thread(target=run, name="mfaenv-aws-call", daemon=True)
    worker.start()
    end = time.monotonic() + seconds
    while worker.is_alive():
        left = end - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        worker.join(min(left, 0.25))  # short waits: Ctrl-C stays prompt on every platform
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
