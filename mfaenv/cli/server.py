"""`mfaenv exec --server`: the command gets a credential endpoint instead of keys, renewed while it runs.

A role session assumed from the MFA session lasts an hour at most; a command
that runs longer (terraform, a notebook, an IDE) would die with ExpiredToken
holding static keys. Here the command gets AWS_CONTAINER_CREDENTIALS_FULL_URI
and AWS_CONTAINER_AUTHORIZATION_TOKEN, which every SDK's default chain reads;
mfaenv stays beside it, serves the session (mfaenv.flow.endpoint) and renews it
from the cached MFA session without asking (mfaenv.flow.keeper), and the SDKs
pick the new keys up on their own. The endpoint ends with the command.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from mfaenv.cli.output import flush_notes, now, warn
from mfaenv.errors import Exit, MfaenvError
from mfaenv.flow import endpoint, keeper
from mfaenv.plan import CREDENTIAL_VARS, Session
from mfaenv.store import serverconfig

#: Not in the command's environment: the keys (the endpoint replaces them), their fixed expiry (it moves),
#: and whatever a chain would take before the endpoint (web identity) or instead of our token.
CLEARED = (
    *CREDENTIAL_VARS,
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "MFAENV_EXPIRES",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",  # would win over AWS_CONTAINER_AUTHORIZATION_TOKEN
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
)


def command_env(env: Mapping[str, str], url: str, token: str, config: str) -> dict[str, str]:
    """The command's environment: plain exec's (region included), keys replaced by the endpoint."""
    out = {k: v for k, v in env.items() if k not in CLEARED}
    out.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
        AWS_PROFILE=serverconfig.PROFILE,  # a profile with no keys: [default]'s keys cannot win
        AWS_CONFIG_FILE=config,
    )
    return out


def renewal(user_env: Mapping[str, str], opts: Mapping[str, Any]) -> Any:
    """The keeper's renewal: the same login as the first one, from the cache, asking nothing."""
    from mfaenv.flow.login import LoginRequest, login

    request = LoginRequest(
        opts.get("profile"),
        opts.get("serial_number"),
        None,  # a --token-code was used once already, and AWS takes each code once
        opts.get("token_command"),
        opts.get("duration"),
        False,  # --fresh was for the first session: renewals use the cached MFA session
        ask=False,
        margin=keeper.RENEW_AT,
    )

    def renew() -> Session:
        return login(request, user_env, now(), note=lambda _: None)  # a renewal's notes would be noise

    return renew


def run(command: tuple[str, ...], env: Mapping[str, str], first: Session, renew: Any) -> int:
    """Run `command` beside the endpoint; its exit status (128+N when killed by signal N), as a shell gives it."""
    keep = keeper.Keeper(first, renew, now, warn)
    token = secrets.token_urlsafe(30)  # as aws-vault: 30 random bytes, base64url
    served = endpoint.Endpoint(keep.get, token, "/" + secrets.token_urlsafe(16))
    try:
        running = endpoint.Running(served)
    except OSError as e:
        raise MfaenvError(
            f"cannot listen on 127.0.0.1 for the credential endpoint: {e.strerror}; {command[0]} was not started",
            Exit.NOT_RUN,
        ) from None
    try:
        # The handlers first: a TERM while the copy exists must not kill mfaenv before it deletes it.
        with _signals() as (children, pending), serverconfig.private_copy(env) as config:
            child_env = command_env(env, running.url, token, config)
            flush_notes()  # only now: a failure before this is one line
            sys.stdout.flush()
            if pending:  # a TERM or HUP came before the command started: it is not started
                return 128 + pending[0]
            try:
                child = subprocess.Popen(list(command), env=child_env)
            except OSError as e:
                raise MfaenvError(f"cannot run {command[0]}: {e.strerror}", Exit.NOT_RUN) from None
            children.append(child)
            if pending:  # came while it started: passed on now
                child.send_signal(pending[0])
            status = child.wait()
    finally:
        running.close()
    return 128 - status if status < 0 else status


@contextlib.contextmanager
def _signals() -> Iterator[tuple[list[subprocess.Popen[bytes]], list[int]]]:
    """While the command runs: Ctrl-C and Ctrl-\\ are the command's (the terminal sends them to both of
    us: passing them on would send a second one, and terraform aborts on a second), and a
    TERM or HUP sent to mfaenv goes on to it. Python handlers, not SIG_IGN, so the command starts
    with the default ones."""
    children: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []  # a TERM or HUP before there is a command to pass it to

    def forward(signum: int, _: object) -> None:
        if not children:
            pending.append(signum)
        for child in children:
            with contextlib.suppress(OSError):
                child.send_signal(signum)

    def ignore(signum: int, _: object) -> None:
        pass

    wanted = {"SIGINT": ignore, "SIGQUIT": ignore, "SIGTERM": forward, "SIGHUP": forward}
    before = {}
    for name, handler in wanted.items():
        signum = getattr(signal, name, None)
        if signum is not None:
            before[signum] = signal.signal(signum, handler)
    try:
        yield children, pending
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        sys.stderr.flush()

