"""Helpers shared by the tests: running the CLI, free ports."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence

#: How a user (and the shells in the tests) start the CLI.
MFAENV = [sys.executable, "-m", "mfaenv"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out[:200]!r}, err={self.err!r})"


@dataclasses.dataclass
class Mfaenv:
    """Runs `python -m mfaenv` in a child process with the test's environment."""

    secrets: Sequence[str] = ()

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: bytes | None = None, timeout: float = 60
    ) -> Result:
        child_env = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                child_env.pop(k, None)
            else:
                child_env[k] = v
        p = subprocess.run(
            [*MFAENV, *args],
            input=input if input is not None else b"",
            capture_output=True,
            env=child_env,
            timeout=timeout,
            start_new_session=True,  # no controlling terminal: a prompt fails instead of hanging
        )
        r = Result(p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace"))
        for secret in self.secrets:
            assert secret not in r.err, "a secret reached stderr"
        assert "Traceback" not in r.err or "--debug" in args
        return r

    def fails(
        self, *args: str, code: int, env: Mapping[str, str | None] | None = None, input: bytes | None = None
    ) -> str:
        """Run and assert the failure contract: exit code, empty stdout, one line on stderr."""
        r = self(*args, env=env, input=input)
        assert r.code == code, r
        assert r.out == "", r
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mfaenv: "), r
        return lines[0]
