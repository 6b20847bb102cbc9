#!/usr/bin/env python3
"""mfaenv side by side with the tools people use today: awsume, aws-mfa, the AWS CLI v2, plain boto3.

    python3 bench/peers.py [--quick] [--run-prompt] [--profile-all]

On a fresh Debian machine it sets up everything it needs:

- the AWS CLI v2 from Debian (`apt-get install awscli`: bookworm's package is 2.9.19);
- awsume and aws-mfa from PyPI in bench/.venv-peers/peers, with boto3/botocore pinned
  to the versions mfaenv runs on, so every Python tool signs with the same botocore;
- mfaenv itself, installed from this checkout (`pip install .`, byte-compiled) into a clean venv,
  bench/.venv-peers/mfaenv, with the same pins (see "Two installs of mfaenv" below);
- moto's server on 127.0.0.1 and a free port, with an IAM user, an access key and a
  virtual MFA device created in it;
- one temporary HOME per tool, each with ~/.aws/credentials and ~/.aws/config for
  profile `work` (in the layout that tool expects), so no tool sees another's cache.

Nothing leaves loopback: every child gets AWS_EC2_METADATA_DISABLED=true,
HTTP(S)_PROXY at a closed loopback port and NO_PROXY=127.0.0.1,localhost, and no
AWS_* or MFAENV_* variable from the caller's environment. A tool that ignored the
emulator's endpoint would hit the closed proxy and fail its run.

Scenarios (each command in a scenario runs once per round, the order rotated
every round, so A B C A B C ...; one validated warm-up run each first):

1. fresh login, one GetSessionToken each;
2. reusing a session: no STS call;
3. fast commands (status, logout, init, export) next to `python -c pass`;
4. the prompt segment, from bench/prompt.py's results.

Each run is validated: exit status, a known string in its output (the emulator's
session token, ...), and the number of STS requests the emulator logged during the
run (1 for a fresh login, 0 otherwise). A run that fails validation stops the
benchmark (exit 1): its timing would mean nothing.

Wall time is measured around posix_spawn + wait4 of the child (no shell between);
CPU time comes from the child's own rusage (wait4). Peak memory comes from a few more
runs of each command under GNU time (`/usr/bin/time -f %M`): the child's ru_maxrss seen
from here would be floored at this script's own peak RSS (Linux carries the peak RSS
of the image an exec replaces over to the new program).

Two installs of mfaenv: the primary rows run mfaenv's console script from a clean
venv, as pipx or `pip install` into a venv would install it. The brief's path,
/root/.pyenv/versions/3.11.7/bin/mfaenv, is measured too ("pyenv install" rows),
next to /root/.pyenv/versions/3.11.7/bin/python3 -c pass: on this machine that
interpreter's site-packages holds a `.pth` file of the sandbox (not ours, not a user's)
that imports certifi in every Python process at start-up, ~45 ms that a user's
machine does not pay, and that also pre-imports pathlib, re and importlib.resources
for mfaenv. awsume and aws-mfa (in a venv) do not pay it, so the fair comparison is
the clean venv.

Exit status: 0 every run validated (targets missed or not), 1 a run failed
validation, 2 set-up failed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
PROMPT_RESULTS = HERE / "RESULTS-prompt.md"
VENVS = HERE / ".venv-peers"  # in .gitignore
PEERS_VENV = VENVS / "peers"  # awsume, aws-mfa
MFAENV_VENV = VENVS / "mfaenv"  # mfaenv, installed from this checkout, clean site-packages
MOTO_VENV = VENVS / "moto"  # only when mfaenv's Python has no moto (its test extra)
AWS_CLI = Path("/usr/bin/aws")  # Debian's v2; a pip-installed v1 `aws` may come first on PATH
PYENV_BIN = Path(sysconfig.get_path("scripts"))  # the Python running this script, and its mfaenv
PROFILE = "work"
CODE = "{code}"  # replaced by a new 6-digit code each run: AWS, and mfaenv, refuse a code used before
RUN_TIMEOUT = 120  # s; a child that hangs (waiting for a terminal, say) fails the run
DEPS = ("boto3", "botocore", "click", "shellingham", "platformdirs")  # pinned in both venvs


@dataclasses.dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    warmup: int
    mem_rounds: int  # extra runs under GNU time for the peak memory


FULL = Mode("full", rounds=15, warmup=1, mem_rounds=3)
QUICK = Mode("quick", rounds=5, warmup=1, mem_rounds=2)

#: GNU time, for peak memory. The child's own ru_maxrss from wait4 is useless here: Linux
#: carries the peak RSS of the process image an exec replaces over to the new program, and
#: a child spawned by this script starts as a copy (or vfork) of this ~25 MiB Python. GNU
#: time is a small C program, so what it reports for its child is the child's own peak.
GNU_TIME = Path("/usr/bin/time")


class SetupError(Exception):
    pass


class RunFailed(Exception):
    pass


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(code)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def sh(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]


def first_line(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = sh(argv, env=env)
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return lines[0].strip() if lines else "(no output)"


# --------------------------------------------------------------------------- set-up


def ensure_awscli() -> str:
    """Debian's awscli (v2 on bookworm); returns `apt-cache policy awscli`, condensed."""
    if not AWS_CLI.exists():
        if os.geteuid() != 0:
            raise SetupError("the AWS CLI is missing: `sudo apt-get install awscli` (Debian 12 ships v2), then rerun")
        say("installing the AWS CLI with apt-get (Debian's awscli package)")
        install = ["apt-get", "install", "-y", "-q", "awscli"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=False)
            if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
                raise SetupError("could not install awscli with apt-get")
    version = first_line([str(AWS_CLI), "--version"])
    if not version.startswith("aws-cli/2."):
        raise SetupError(f"{AWS_CLI} is not the AWS CLI v2: {version}")
    policy = sh(["apt-cache", "policy", "awscli"]).stdout
    fields = dict(re.findall(r"^\s+(Installed|Candidate):\s*(\S+)", policy, re.M))
    return f"Installed {fields.get('Installed', '?')}, Candidate {fields.get('Candidate', '?')}"


def pins() -> dict[str, str]:
    """The versions of mfaenv's dependencies in the Python running this script (mfaenv's own)."""
    from importlib import metadata

    found = {}
    for name in DEPS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path, args: list[str], constraints: dict[str, str], fingerprint: str) -> None:
    """A venv with `pip install ARGS` under the constraints; rebuilt when what it should hold changed."""
    marker = venv / ".bench-spec"
    spec = json.dumps({"args": args, "pins": constraints, "python": sys.version, "fp": fingerprint}, sort_keys=True)
    if venv_python(venv).exists() and marker.exists() and marker.read_text() == spec:
        return
    say(f"creating {venv.relative_to(ROOT)}: pip install {' '.join(args)}")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = sh([sys.executable, "-m", "venv", str(venv)])
    if made.returncode:
        raise SetupError(f"python -m venv {venv} failed: {made.stderr.strip()[-500:]}")
    cfile = venv / "constraints.txt"
    cfile.write_text("".join(f"{k}=={v}\n" for k, v in constraints.items()))
    pip = [str(venv_python(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(cfile)]
    done = sh([*pip, *args])
    if done.returncode:
        raise SetupError(f"pip install {' '.join(args)} into {venv} failed:\n{done.stderr.strip()[-2000:]}")
    marker.write_text(spec)


def ensure_tools() -> tuple[str, Path]:
    """The venvs and the CLI; returns (apt policy line, the Python that runs moto's server)."""
    policy = ensure_awscli()
    constraints = pins()
    # A regular install, as pip/pipx give users: byte-compiled at install time.
    # (Editable, with PYTHONDONTWRITEBYTECODE set as on this machine, mfaenv
    # would recompile its sources on every run while the peers' .pyc exist.)
    # The fingerprint covers the sources, so every change is reinstalled.
    sources = [ROOT / "pyproject.toml", *sorted((ROOT / "mfaenv").rglob("*.py")), *sorted((ROOT / "shell-hooks").iterdir())]
    fingerprint = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    ensure_venv(MFAENV_VENV, [str(ROOT)], constraints, fingerprint)
    peer_pins = {k: v for k, v in constraints.items() if k in ("boto3", "botocore")}
    ensure_venv(PEERS_VENV, ["awsume", "aws-mfa"], peer_pins, "")
    if not GNU_TIME.exists() and os.geteuid() == 0:
        say("installing GNU time with apt-get (for peak memory)")
        subprocess.run(["apt-get", "install", "-y", "-q", "time"], stdout=subprocess.DEVNULL, check=False)
    if not GNU_TIME.exists():
        raise SetupError("GNU time (/usr/bin/time) is missing: `sudo apt-get install time`, then rerun")
    if sh([sys.executable, "-c", "import moto.server"]).returncode == 0:
        moto_python = Path(sys.executable)
    else:
        ensure_venv(MOTO_VENV, ["moto[server]"], {}, "")
        moto_python = venv_python(MOTO_VENV)
    return policy, moto_python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED_PORT = free_port()  # nothing listens there: the proxies point here, so they refuse


class Moto:
    """moto's server on loopback; counts the requests it logs (werkzeug logs one line per request)."""

    def __init__(self, python: Path, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "moto.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {"NO_PROXY": "*"},
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SetupError(f"moto's server did not start: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.1)

    def requests(self) -> int:
        return self.log.read_bytes().count(b'"POST ')

    def settle(self, expected: int, timeout: float = 2.0) -> int:
        """The request count once it reached `expected` (the log line follows the response), or at the timeout."""
        deadline = time.monotonic() + timeout
        while (count := self.requests()) < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        return count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


MAKE_USER = """
import json, sys, boto3
admin = boto3.Session(aws_access_key_id="AKIAADMINEXAMPLE0001", aws_secret_access_key="x", region_name="us-east-1")
iam = admin.client("iam", endpoint_url=sys.argv[1])
iam.create_user(UserName="bench")
key = iam.create_access_key(UserName="bench")["AccessKey"]
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="bench")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="bench", SerialNumber=dev["SerialNumber"],
                      AuthenticationCode1="123456", AuthenticationCode2="654321")
print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "serial": dev["SerialNumber"]}))
"""

# The floor: the least a Python tool can do for a fresh session.
FLOOR = """\
import sys

import boto3

creds = boto3.Session(profile_name=sys.argv[1]).client("sts").get_session_token(
    SerialNumber=sys.argv[2], TokenCode=sys.argv[3]
)["Credentials"]
print(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
"""


@dataclasses.dataclass(frozen=True)
class User:
    key: str
    secret: str
    serial: str


def make_user(moto: Moto) -> User:
    done = sh(
        [str(venv_python(MFAENV_VENV)), "-c", MAKE_USER, moto.url], env=clean_base_env(moto, Path("/nonexistent"))
    )
    if done.returncode:
        raise SetupError(f"could not create the IAM user in moto: {done.stderr.strip()[-1000:]}")
    return User(**json.loads(done.stdout))


def clean_base_env(moto: Moto, home: Path) -> dict[str, str]:
    """Only what the run needs; nothing from the caller's AWS_*, MFAENV_*, PYTHON* or proxies."""
    closed = f"http://127.0.0.1:{CLOSED_PORT}"
    env = {
        "PATH": os.pathsep.join(
            [str(MFAENV_VENV / "bin"), str(PEERS_VENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_STS": moto.url,
        "AWS_ENDPOINT_URL_IAM": moto.url,
        "AWS_PAGER": "",  # the CLI v2 would page through `less` on a terminal
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[var] = closed
    return env


def write_home(home: Path, user: User, layout: str) -> None:
    """~/.aws for profile `work`: `standard` (keys in [work], mfa_serial in the config) or `aws-mfa`'s."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    keys = f"aws_access_key_id = {user.key}\naws_secret_access_key = {user.secret}\n"
    config = f"[profile {PROFILE}]\nregion = eu-west-1\nmfa_serial = {user.serial}\n"
    if layout == "aws-mfa":
        # aws-mfa reads [work-long-term] (its own mfa key) and writes the session into [work];
        # its boto3.client('sts') uses the default profile's region: without one, NoRegionError.
        (aws / "credentials").write_text(f"[{PROFILE}-long-term]\n{keys}aws_mfa_device = {user.serial}\n")
        (aws / "config").write_text(f"[default]\nregion = eu-west-1\n\n{config}")
    else:
        (aws / "credentials").write_text(f"[{PROFILE}]\n{keys}")
        (aws / "config").write_text(config)
    for sub in (".config", ".cache", ".local/share"):
        (home / sub).mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- running


@dataclasses.dataclass(frozen=True)
class Sample:
    wall_ms: float
    cpu_ms: float
    rss_kb: int


@dataclasses.dataclass
class Command:
    key: str
    tool: str  # shown in the table
    label: str  # the command line as shown
    argv: list[str]
    env: dict[str, str]
    check: Callable[[int, str, str], str | None]  # (exit, stdout, stderr) -> problem
    sts_calls: int = 0
    stdin: bytes = b""
    ref: str = ""  # key of the command this row's ratio is against
    samples: list[Sample] = dataclasses.field(default_factory=list)
    rss_kb: list[int] = dataclasses.field(default_factory=list)  # from the runs under GNU time


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


_codes = iter(range(200000, 1000000))


def spawn(cmd: Command, memory: bool = False) -> tuple[Sample, int, str, str]:
    """Run once: no shell, stdio in temp files; wall clock around posix_spawn + wait4.

    With `memory`, the command runs under GNU time and the sample's rss_kb is what time saw.
    """
    code = str(next(_codes))  # moto accepts any code; each run gets one not used before
    argv = [a.replace(CODE, code) for a in cmd.argv]
    memfile = None
    if memory:
        fd, memfile = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        argv = [str(GNU_TIME), "-f", "%M", "-o", memfile, *argv]
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        fin.write(cmd.stdin.replace(CODE.encode(), code.encode()))
        fin.flush()
        fin.seek(0)
        actions = [
            (os.POSIX_SPAWN_DUP2, fin.fileno(), 0),
            (os.POSIX_SPAWN_DUP2, fout.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, ferr.fileno(), 2),
        ]
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(RUN_TIMEOUT)
        pid = 0
        try:
            # setsid: no controlling terminal, so a tool that wants to ask fails instead of waiting.
            t0 = time.perf_counter_ns()
            pid = os.posix_spawn(argv[0], argv, cmd.env, file_actions=actions, setsid=True)
            _, status, usage = os.wait4(pid, 0)
            t1 = time.perf_counter_ns()
        except _Timeout:
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.wait4(pid, 0)
            raise RunFailed(f"{cmd.tool}: `{cmd.label}` did not finish in {RUN_TIMEOUT} s") from None
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        fout.seek(0)
        ferr.seek(0)
        out = fout.read().decode("utf-8", "replace")
        err = ferr.read().decode("utf-8", "replace")
    rss = usage.ru_maxrss
    if memfile:
        lines = Path(memfile).read_text().split()  # "Command exited with non-zero status N" may come first
        os.unlink(memfile)
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else -1
    sample = Sample((t1 - t0) / 1e6, (usage.ru_utime + usage.ru_stime) * 1000, rss)
    return sample, os.waitstatus_to_exitcode(status), out, err


class Runner:
    def __init__(self, moto: Moto) -> None:
        self.moto = moto
        self.expected = moto.requests()

    def run(self, cmd: Command, memory: bool = False) -> Sample:
        sample, code, out, err = spawn(cmd, memory)
        self.expected += cmd.sts_calls
        count = self.moto.settle(self.expected)
        problem = cmd.check(code, out, err)
        if problem is None and count != self.expected:
            made = count - (self.expected - cmd.sts_calls)
            problem = f"{made} STS request(s) during the run, expected {cmd.sts_calls}"
            self.expected = count
        if problem:
            raise RunFailed(
                f"{cmd.tool}: `{cmd.label}` failed validation: {problem}\n"
                f"  exit {code}\n  stdout: {out[-800:]!r}\n  stderr: {err[-1500:]!r}"
            )
        return sample

    def scenario(self, title: str, cmds: list[Command], mode: Mode) -> None:
        for w in range(mode.warmup):
            say(f"{title}: warm-up {w + 1}/{mode.warmup}")
            for cmd in cmds:
                self.run(cmd)
        for r in range(mode.rounds):
            say(f"{title}: round {r + 1}/{mode.rounds}")
            shift = r % len(cmds)  # rotate: no command always follows the same one
            for cmd in cmds[shift:] + cmds[:shift]:
                cmd.samples.append(self.run(cmd))
        for m in range(mode.mem_rounds):
            say(f"{title}: peak memory under GNU time {m + 1}/{mode.mem_rounds}")
            for cmd in cmds:
                cmd.rss_kb.append(self.run(cmd, memory=True).rss_kb)
        # A late log line from a run that should have made no call shows up here at the latest.
        time.sleep(0.3)
        if (count := self.moto.requests()) != self.expected:
            raise RunFailed(f"{title}: the emulator logged {count - self.expected} unexpected STS request(s)")


# --------------------------------------------------------------------------- checks


def expect(code: int = 0, out: tuple[str, ...] = (), out_not: tuple[str, ...] = (), empty: bool = False):
    def check(got: int, stdout: str, stderr: str) -> str | None:
        if got != code:
            return f"exit {got}, expected {code}"
        for needle in out:
            if needle not in stdout:
                return f"stdout lacks {needle[:40]!r}"
        for needle in out_not:
            if needle in stdout:
                return f"stdout has {needle[:40]!r}"
        if empty and (stdout or stderr):
            return "expected no output"
        return None

    return check


def file_has(path: Path, needle: str, inner: Callable[[int, str, str], str | None]):
    def check(got: int, stdout: str, stderr: str) -> str | None:
        problem = inner(got, stdout, stderr)
        if problem is None and needle not in path.read_text():
            problem = f"{path} lacks the session"
        return problem

    return check


# --------------------------------------------------------------------------- scenarios


@dataclasses.dataclass
class Setup:
    tmp: Path
    moto: Moto
    user: User
    token: str  # the session token moto hands out (the same for every call)
    session_json: Path  # `aws sts get-session-token` output, for `mfaenv export FILE`
    homes: dict[str, Path]
    pyenv_mfaenv: Path | None
    pyenv_python: Path


def mfaenv_installs(s: Setup) -> list[tuple[str, str, Path, Path]]:
    """(key suffix, label, console script, its python); the clean venv first."""
    found = [("", "mfaenv", MFAENV_VENV / "bin" / "mfaenv", venv_python(MFAENV_VENV))]
    if s.pyenv_mfaenv:
        found.append(("-pyenv", "mfaenv (pyenv install)", s.pyenv_mfaenv, s.pyenv_python))
    return found


def env_for(s: Setup, home: str) -> dict[str, str]:
    return clean_base_env(s.moto, s.homes[home])


def fresh_login(s: Setup) -> list[Command]:
    tok = s.token
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        args = ["login", "--profile", PROFILE, "--fresh", "--token-code", CODE, "--shell", "bash"]
        cmds.append(
            Command(
                f"mfaenv{suffix}", label, f"mfaenv {' '.join(args)}", [str(script), *args],
                env_for(s, f"mfaenv{suffix}"), expect(out=(f"export AWS_SESSION_TOKEN={tok}",)), sts_calls=1,
                ref="mfaenv",
            )
        )  # fmt: skip
    awsmfa_creds = s.homes["aws-mfa"] / ".aws" / "credentials"
    cmds += [
        Command(
            "awsume", "awsume", f"awsumepy {PROFILE} -r --mfa-token {CODE}",
            [str(PEERS_VENV / "bin" / "awsumepy"), PROFILE, "-r", "--mfa-token", CODE],
            env_for(s, "awsume"), expect(out=("Awsume ", tok)), sts_calls=1, ref="mfaenv",
        ),
        Command(
            "aws-mfa", "aws-mfa", f"aws-mfa --profile {PROFILE} --force  (code on stdin)",
            [str(PEERS_VENV / "bin" / "aws-mfa"), "--profile", PROFILE, "--force"],
            env_for(s, "aws-mfa"), file_has(awsmfa_creds, tok, expect(out=("Success!",))), sts_calls=1,
            stdin=f"{CODE}\n".encode(), ref="mfaenv",
        ),
        Command(
            "awscli", "AWS CLI v2",
            f"aws sts get-session-token --profile {PROFILE} --serial-number ARN --token-code {CODE} --endpoint-url URL",
            [str(AWS_CLI), "sts", "get-session-token", "--profile", PROFILE, "--serial-number", s.user.serial,
             "--token-code", CODE, "--endpoint-url", s.moto.url],
            env_for(s, "awscli"), expect(out=(tok,)), sts_calls=1, ref="mfaenv",
        ),
    ]  # fmt: skip
    floor = s.tmp / "floor.py"
    for suffix, _, _, python in mfaenv_installs(s):
        where = "mfaenv's venv" if not suffix else "pyenv"
        cmds.append(
            Command(
                f"boto3{suffix}", f"plain boto3 ({where} python)", f"python floor.py {PROFILE} ARN {CODE}",
                [str(python), str(floor), PROFILE, s.user.serial, CODE],
                env_for(s, "boto3"), expect(out=(tok,)), sts_calls=1, ref="mfaenv",
            )
        )  # fmt: skip
    return cmds


def pass_commands(s: Setup) -> list[Command]:
    cmds = []
    for suffix, _, _, python in mfaenv_installs(s):
        where = "mfaenv's venv python" if not suffix else str(python)
        cmds.append(
            Command(
                f"pass{suffix}", "python -c pass", f"{where} -c pass", [str(python), "-c", "pass"],
                env_for(s, f"mfaenv{suffix or ''}"), expect(empty=True), ref=f"pass{suffix}",
            )
        )  # fmt: skip
    return cmds


def reuse(s: Setup) -> list[Command]:
    tok = s.token
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        args = ["login", "--profile", PROFILE, "--shell", "bash"]  # no code: a cache miss would fail (no terminal)
        cmds.append(
            Command(
                f"mfaenv{suffix}", label, f"mfaenv {' '.join(args)}", [str(script), *args],
                env_for(s, f"mfaenv{suffix}"), expect(out=(f"export AWS_SESSION_TOKEN={tok}",)), ref="mfaenv",
            )
        )  # fmt: skip
    cmds += [
        Command(
            "awsume", "awsume", f"awsumepy {PROFILE}", [str(PEERS_VENV / "bin" / "awsumepy"), PROFILE],
            env_for(s, "awsume"), expect(out=("Awsume ", tok)), ref="mfaenv",
        ),
        Command(
            "aws-mfa", "aws-mfa", f"aws-mfa --profile {PROFILE}  (still valid)",
            [str(PEERS_VENV / "bin" / "aws-mfa"), "--profile", PROFILE],
            env_for(s, "aws-mfa"), expect(out=("still valid",), out_not=("Fetching",)), ref="mfaenv",
        ),
        Command(
            "awscli", "AWS CLI v2", f"aws configure export-credentials --profile {PROFILE}-session --format env",
            [str(AWS_CLI), "configure", "export-credentials", "--profile", f"{PROFILE}-session", "--format", "env"],
            env_for(s, "awscli"), expect(out=(f"AWS_SESSION_TOKEN={tok}",)), ref="mfaenv",
        ),
    ]  # fmt: skip
    return cmds + pass_commands(s)


def session_env(s: Setup, suffix: str, script: Path) -> dict[str, str]:
    """The environment of a shell that ran `eval "$(mfaenv login)"` (a cache hit), read back with env -0."""
    base = env_for(s, f"mfaenv{suffix}")
    text = f'eval "$("$0" login --profile {PROFILE} --shell bash)" && env -0'
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", text, str(script)],
        env=base, capture_output=True, check=False, start_new_session=True,
    )  # fmt: skip
    if done.returncode:
        raise RunFailed(f"eval of mfaenv login in bash failed: {done.stderr.decode(errors='replace')[-500:]}")
    env = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    if env.get("AWS_SESSION_TOKEN") != s.token or not env.get("MFAENV_EXPIRES"):
        raise RunFailed("bash did not hold the session after eval of mfaenv login")
    return {**base, **{k: v for k, v in env.items() if k.startswith(("AWS_", "MFAENV_"))}}


def fast(s: Setup) -> list[Command]:
    tok = s.token
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        live = session_env(s, suffix, script)
        plain = env_for(s, f"mfaenv{suffix}")
        for name, args, env, check in (
            ("status", ["status"], live, expect(out=(f"profile {PROFILE}: valid",))),
            ("logout", ["logout", "--shell", "bash"], live, expect(out=("unset AWS_SESSION_TOKEN;", "unset MFAENV_EXPIRES;"))),
            ("init", ["init", "bash"], plain, expect(out=("_mfaenv_prompt",))),
            ("export", ["export", str(s.session_json), "--shell", "bash"], plain,
             expect(out=(f"export AWS_SESSION_TOKEN={tok}",))),
        ):  # fmt: skip
            shown = " ".join(args).replace(str(s.session_json), "session.json")
            cmds.append(
                Command(
                    f"{name}{suffix}", label, f"mfaenv {shown}", [str(script), *args], env, check, ref=f"pass{suffix}"
                )
            )
    return cmds + pass_commands(s)


# --------------------------------------------------------------------------- prompt results


def prompt_rows(run: bool, quick: bool) -> tuple[list[list[str]], str]:
    """Rows of bench/RESULTS-prompt.md for bash and zsh (fish too if there), running prompt.py when asked or needed."""

    def read() -> tuple[list[list[str]], str]:
        if not PROMPT_RESULTS.exists():
            return [], ""
        text = PROMPT_RESULTS.read_text().split("## Raw fork counts")[0]  # the main table only
        rows = [
            [c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| shell") and "---" not in line
        ]
        rows = [r for r in rows if len(r) == 7]
        header = next((ln for ln in text.splitlines() if ln.startswith("`python3 bench/prompt.py")), "")
        return rows, header

    rows, header = read()
    have = {r[0] for r in rows}
    if run or not {"bash", "zsh"} <= have:
        shells = ["bash", "zsh"] + (["fish"] if shutil.which("fish") else [])
        missing = [sh_ for sh_ in ("bash", "zsh") if not shutil.which(sh_)]
        if missing and os.geteuid() == 0:
            say(f"installing {' '.join(missing)} with apt-get for bench/prompt.py")
            subprocess.run(["apt-get", "install", "-y", "-q", *missing], stdout=subprocess.DEVNULL, check=False)
        say(f"running bench/prompt.py{' --quick' if quick else ''} --shells {','.join(shells)}")
        argv = [sys.executable, str(HERE / "prompt.py"), "--shells", ",".join(shells)] + (["--quick"] if quick else [])
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
        if done.returncode:
            say(f"bench/prompt.py exited {done.returncode}; using whatever RESULTS-prompt.md holds")
        rows, header = read()
    return rows, header


# --------------------------------------------------------------------------- report


def med(c: Command) -> float:
    return statistics.median(x.wall_ms for x in c.samples)


def ratio(c: Command, ref: Command) -> float:
    """Median over rounds of c's time ÷ ref's time in the same round: a slow spell of the VM hits both."""
    return statistics.median(a.wall_ms / b.wall_ms for a, b in zip(c.samples, ref.samples))


def row(c: Command, by_key: dict[str, Command]) -> str:
    walls = [x.wall_ms for x in c.samples]
    cpu = statistics.median(x.cpu_ms for x in c.samples)
    rss = statistics.median(c.rss_kb) / 1024
    ref = by_key.get(c.ref)
    shown = "—" if ref is None or ref is c else f"{ratio(c, ref):.2f}x"
    return (
        f"| {c.tool} | `{c.label.replace(CODE, 'CODE')}` | {med(c):.0f} | {min(walls):.0f}–{max(walls):.0f} | {cpu:.0f} "
        f"| {rss:.1f} | {shown} |"
    )


def table(cmds: list[Command], ratio_head: str) -> str:
    by_key = {c.key: c for c in cmds}
    head = (
        f"| tool | command | median ms | min–max ms | CPU ms (median) | max RSS MiB (median) | {ratio_head} |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(row(c, by_key) for c in cmds) + "\n"


@dataclasses.dataclass
class Target:
    what: str
    value: float
    limit: float
    install: str

    @property
    def ok(self) -> bool:
        return self.value <= self.limit


def targets(s1: list[Command], s2: list[Command], s3: list[Command], s: Setup) -> list[Target]:
    k1, k2, k3 = ({c.key: c for c in s_} for s_ in (s1, s2, s3))
    found = []
    for suffix, _, _, _ in mfaenv_installs(s):
        install = "clean venv" if not suffix else "pyenv install"
        found.append(
            Target(
                "fresh `login` ÷ plain boto3 script",
                ratio(k1[f"mfaenv{suffix}"], k1[f"boto3{suffix}"]),
                1.05,
                install,
            )
        )
        found.append(
            Target("cached `login` ÷ `python -c pass`", ratio(k2[f"mfaenv{suffix}"], k2[f"pass{suffix}"]), 3.0, install)
        )
        for name in ("status", "logout", "init", "export"):
            found.append(
                Target(f"`{name}` ÷ `python -c pass`", ratio(k3[f"{name}{suffix}"], k3[f"pass{suffix}"]), 3.0, install)
            )
    return found


def target_table(found: list[Target]) -> str:
    head = "| mfaenv install | target | measured | limit | |\n|---|---|---|---|---|\n"
    return (
        head
        + "\n".join(
            f"| {t.install} | {t.what} | {t.value:.2f}x | {t.limit:g}x | {'pass' if t.ok else '**miss**'} |"
            for t in found
        )
        + "\n"
    )


def prompt_table(rows: list[list[str]]) -> str:
    if not rows:
        return "(no results: bench/prompt.py did not run)\n"
    head = (
        "| shell | segment | shown | µs/prompt median [min-max] | bare prompt µs median [min-max] "
        "| difference µs | forks/prompt |\n|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"


def versions(s: Setup, policy: str) -> list[str]:
    def pkg(python: Path, names: str) -> str:
        code = (
            "from importlib import metadata as m\n"
            f"print(', '.join(f'{{n}} {{m.version(n)}}' for n in {names.split()!r}))"
        )
        return first_line([str(python), "-c", code])

    got = [
        f"mfaenv (clean venv): {first_line([str(MFAENV_VENV / 'bin' / 'mfaenv'), '--version'])}; "
        f"{pkg(venv_python(MFAENV_VENV), 'boto3 botocore click shellingham platformdirs')}",
        f"awsume/aws-mfa venv: {pkg(venv_python(PEERS_VENV), 'awsume aws-mfa boto3 botocore')}",
        f"AWS CLI: {first_line([str(AWS_CLI), '--version'])} (Debian package awscli; apt-cache policy: {policy})",
        f"Python: {first_line([str(venv_python(MFAENV_VENV)), '-VV'])} "
        f"(both venvs, the pyenv install and the boto3 script); the AWS CLI runs on Debian's "
        f"{first_line(['/usr/bin/python3', '-V'])}",
        f"moto server: {first_line([str(s.moto.proc.args[0]), '-c', 'import moto; print(moto.__version__)'])}",
    ]
    if s.pyenv_mfaenv:
        got.append(
            f"mfaenv (pyenv install): {s.pyenv_mfaenv} → {first_line([str(s.pyenv_mfaenv), '--version'])}; "
            f"{pkg(s.pyenv_python, 'boto3 botocore')}"
        )
    return got


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            "",
        )
    return f"`uname -m` {platform.machine()}, `nproc` {first_line(['nproc'])}, Linux {platform.release()}" + (
        f", {model}" if model else ""
    )


def site_tax(python: Path) -> str:
    """How long `site` takes in an interpreter (least of 5 runs): the sandbox .pth shows up here."""
    found = []
    for _ in range(5):
        done = sh([str(python), "-X", "importtime", "-c", "pass"])
        found += [int(m.group(1)) for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \| site$", done.stderr, re.M)]
    return f"{min(found) / 1000:.1f} ms" if found else "?"


# --------------------------------------------------------------------------- profiling


def profile_command(c: Command, python: Path, tmp: Path) -> str:
    """-X importtime of the console script (best of 3), and cProfile of `python -m mfaenv` with the same arguments."""
    best: list[tuple[int, int, str]] = []
    for _ in range(3):
        env = {**c.env, "PYTHONPROFILEIMPORTTIME": "1"}
        argv = [a.replace(CODE, str(next(_codes))) for a in c.argv]  # a fresh login needs a new code each time
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, start_new_session=True)
        if done.returncode:
            raise RunFailed(f"`{c.label}` failed under -X importtime: {done.stderr.splitlines()[-1:]}")
        found = [
            (int(m.group(1)), int(m.group(2)), m.group(3))
            for m in re.finditer(r"^import time:\s+(\d+) \|\s+(\d+) \| (.+)$", done.stderr, re.M)
        ]
        if not best or sum(i[0] for i in found) < sum(i[0] for i in best):
            best = found
    top = sorted((i for i in best if not i[2].startswith(" ")), key=lambda i: -i[1])
    total = sum(i[0] for i in best)
    out = [f"#### `{c.label}`", "", f"`-X importtime` of the console script (least total of 3 runs): {total / 1000:.1f} ms "
           "in imports (importtime's own overhead included).", "",
           "| top-level import | cumulative ms | | heaviest modules (self) | self ms |", "|---|---|---|---|---|"]  # fmt: skip
    by_self = sorted(best, key=lambda i: -i[0])
    for n in range(10):
        left = f"`{top[n][2].strip()}` | {top[n][1] / 1000:.1f}" if n < len(top) else " | "
        right = f"`{by_self[n][2].strip()}` | {by_self[n][0] / 1000:.1f}" if n < len(by_self) else " | "
        out.append(f"| {left} | | {right} |")
    prof = tmp / f"{c.key}.prof"
    args = [a.replace(CODE, str(next(_codes))) for a in c.argv[1:]]
    done = subprocess.run(
        [str(python), "-m", "cProfile", "-o", str(prof), "-m", "mfaenv", *args],
        env=c.env, capture_output=True, text=True, check=False, start_new_session=True,
    )  # fmt: skip
    if done.returncode:
        raise RunFailed(f"`{c.label}` failed under cProfile: {done.stderr.splitlines()[-1:]}")
    code = (
        "import pstats, sys\n"
        "p = pstats.Stats(sys.argv[1]); p.sort_stats('cumulative').print_stats(r'(mfaenv|click|botocore)/', 24)"
    )
    text = sh([str(python), "-c", code, str(prof)]).stdout
    total_line = next((ln.strip() for ln in text.splitlines() if "function calls" in ln), "")
    text = text[text.find("   ncalls") :] if "   ncalls" in text else text
    site_packages = MFAENV_VENV / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    text = text.replace(f"{site_packages}/", "").replace(f"{ROOT}/", "")
    out += ["", f"cProfile, `python -m cProfile -m mfaenv {' '.join(c.argv[1:])}` ({total_line}); "
            "the mfaenv, click and botocore frames by cumulative time:", "", "```", text.rstrip(), "```", ""]  # fmt: skip
    return "\n".join(out).replace(CODE, "CODE").replace(str(tmp / "session.json"), "session.json")


IMPORTS = (
    "re", "enum", "typing", "dataclasses", "pathlib", "json", "hashlib", "tempfile", "argparse", "click",
    "platformdirs", "shellingham", "mfaenv.plan", "mfaenv.shells", "mfaenv.cli", "mfaenv.login",
    "botocore.session", "boto3",
)  # fmt: skip


def import_costs(python: Path, env: dict[str, str], rounds: int) -> str:
    """What importing one module alone adds to `python -c pass`: wall ms, interleaved rounds, median."""
    cmds = [Command("pass", "", "pass", [str(python), "-c", "pass"], env, expect(empty=True))] + [
        Command(m, "", m, [str(python), "-c", f"import {m}"], env, expect(empty=True)) for m in IMPORTS
    ]
    for r in range(rounds):
        shift = r % len(cmds)
        for cmd in cmds[shift:] + cmds[:shift]:
            sample, code, out, err = spawn(cmd)
            if code or out or err:
                raise RunFailed(f"`python -c 'import {cmd.key}'` failed: {err[-300:]}")
            cmd.samples.append(sample)
    base = med(cmds[0])
    lines = [
        f"`python -c 'import X'` in the clean venv, {rounds} interleaved rounds; `python -c pass` itself: "
        f"{base:.1f} ms (median), so 3x is {3 * base:.0f} ms. Each row is X with everything it imports.",
        "",
        "| import | median ms | over `python -c pass` |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.key}` | {med(c):.1f} | +{med(c) - base:.1f} |" for c in cmds[1:]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def report(
    mode: Mode, seconds: float, s: Setup, policy: str, scen: list[tuple[str, list[Command], str, str]],
    found: list[Target], prompt: tuple[list[list[str]], str], profiles: str,
) -> str:  # fmt: skip
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python3 bench/peers.py" + (" --quick" if mode is QUICK else "")
    parts = [
        "# mfaenv next to awsume, aws-mfa, the AWS CLI v2 and plain boto3\n",
        f"`{cmd}` on {when}, {seconds:.0f} s: {mode.warmup} warm-up run and {mode.rounds} timed rounds per "
        "command, the commands of a scenario taking turns (order rotated each round).\n",
        f"- Machine: {machine()}; load average (1 min) {LOAD[0]:.2f} at the start, {os.getloadavg()[0]:.2f} "
        "at the end (anything else running on the machine moves the timings; the ratios are paired per round)",
        *(f"- {v}" for v in versions(s, policy)),
        f"- STS: moto's server on {s.moto.url} (loopback), an IAM user with an access key and a virtual MFA "
        "device; each tool has its own temporary HOME. Every run validated: exit status, output, and the STS "
        "requests the emulator logged (1 per fresh login, 0 otherwise).",
        "- Ratios (÷ columns, targets): the median over rounds of the two commands' ratio in the same round.\n"
        f"- Wall time around posix_spawn + wait4 (no shell); CPU = user + sys of the child (wait4); max RSS from "
        f"{mode.mem_rounds} more runs per command under GNU time (`%M`), median. `site` at start-up: {site_tax(venv_python(MFAENV_VENV))} in the clean venv, "
        f"{site_tax(s.pyenv_python)} in {s.pyenv_python} (its site-packages has the sandbox's "
        "`_sandboxing_egress_ca.pth`, which imports certifi in every process).",
        "",
    ]
    for title, cmds, ratio_head, note in scen:
        parts += [f"## {title}\n", table(cmds, ratio_head), note, ""]
    rows, header = prompt
    parts += [
        "## 4. Prompt segment (from bench/prompt.py)\n",
        (f"From bench/RESULTS-prompt.md: {header}\n" if header else ""),
        prompt_table(rows),
        "For comparison, none of awsume, aws-mfa or the AWS CLI has a prompt segment: "
        "a prompt that showed their session's time left would run a program per prompt "
        "(the naive `$(date +%s)` row is the cheapest such fork).\n",
        "## Targets\n",
        target_table(found),
    ]
    if profiles:
        parts += ["## Profiling: where mfaenv's time goes (clean venv)\n", profiles]
    return "\n".join(parts) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 15 (a sanity run)")
    parser.add_argument("--run-prompt", action="store_true", help="run bench/prompt.py even if its results exist")
    parser.add_argument("--profile-all", action="store_true", help="profile every mfaenv command, not only misses")
    return parser.parse_args(argv)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mfaenv-peers-") as d:
        yield Path(d)


LOAD: list[float] = []


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    LOAD.append(os.getloadavg()[0])
    if LOAD[0] > 0.7:
        say(f"load average {LOAD[0]:.2f}: something else is running; the timings will be noisier")
    mode = QUICK if args.quick else FULL
    started = time.monotonic()
    if not hasattr(os, "posix_spawn"):
        fail("needs os.posix_spawn and wait4 (Linux)")
    try:
        policy, moto_python = ensure_tools()
    except SetupError as e:
        fail(str(e))
    pyenv_mfaenv = PYENV_BIN / "mfaenv"
    with workdir() as tmp:
        try:
            moto = Moto(moto_python, tmp)
        except SetupError as e:
            fail(str(e))
        try:
            return bench(args, mode, started, tmp, moto, policy, pyenv_mfaenv if pyenv_mfaenv.exists() else None)
        except RunFailed as e:
            print(f"bench: {e}", file=sys.stderr)
            return 1
        except SetupError as e:
            print(f"bench: {e}", file=sys.stderr)
            return 2
        finally:
            moto.stop()


def bench(
    args: argparse.Namespace, mode: Mode, started: float, tmp: Path, moto: Moto, policy: str, pyenv_mfaenv: Path | None
) -> int:
    user = make_user(moto)
    names = ["mfaenv", "mfaenv-pyenv", "awsume", "aws-mfa", "awscli", "boto3"]
    homes = {n: tmp / "homes" / n for n in names}
    for n, home in homes.items():
        write_home(home, user, "aws-mfa" if n == "aws-mfa" else "standard")
    (tmp / "floor.py").write_text(FLOOR)

    # One GetSessionToken with the CLI, as the AWS article's manual steps do: its JSON is
    # `mfaenv export`'s input, and the session goes into a profile for export-credentials.
    probe = clean_base_env(moto, homes["awscli"])
    done = sh(
        [str(AWS_CLI), "sts", "get-session-token", "--profile", PROFILE, "--serial-number", user.serial,
         "--token-code", "199999", "--endpoint-url", moto.url],
        env=probe,
    )  # fmt: skip
    if done.returncode:
        raise SetupError(f"aws sts get-session-token failed: {done.stderr.strip()[-1000:]}")
    session_json = tmp / "session.json"
    session_json.write_text(done.stdout)
    creds = json.loads(done.stdout)["Credentials"]
    with open(homes["awscli"] / ".aws" / "credentials", "a") as f:
        f.write(
            f"\n[{PROFILE}-session]\naws_access_key_id = {creds['AccessKeyId']}\n"
            f"aws_secret_access_key = {creds['SecretAccessKey']}\naws_session_token = {creds['SessionToken']}\n"
        )
    s = Setup(tmp, moto, user, creds["SessionToken"], session_json, homes, pyenv_mfaenv, PYENV_BIN / "python3")
    runner = Runner(moto)

    s1 = fresh_login(s)
    runner.scenario("1. fresh login", s1, mode)
    s2 = reuse(s)  # the caches were filled by scenario 1
    runner.scenario("2. reusing a session", s2, mode)
    s3 = fast(s)
    runner.scenario("3. fast commands", s3, mode)

    prompt = prompt_rows(args.run_prompt, args.quick)
    found = targets(s1, s2, s3, s)
    profiles = ""
    missed = [t for t in found if (args.profile_all or not t.ok) and t.install == "clean venv"]
    if missed:
        say("profiling mfaenv: " + ("every target" if args.profile_all else "the commands that missed a target"))
        k = {c.key: c for c in s1 + s2 + s3 if not c.key.endswith("-pyenv")}
        picks = []
        for t in missed:
            if "fresh" in t.what:
                picks.append(next(c for c in s1 if c.key == "mfaenv"))
            elif "cached" in t.what:
                picks.append(next(c for c in s2 if c.key == "mfaenv"))
            else:
                picks.append(k[t.what.split("`")[1]])
        profiles = "\n".join(profile_command(c, venv_python(MFAENV_VENV), tmp) for c in picks)
        if any("pass" in t.what for t in missed):
            say("timing single imports")
            profiles = (
                "### What single imports cost\n\n"
                + import_costs(venv_python(MFAENV_VENV), env_for(s, "mfaenv"), mode.rounds * 2)
                + "\n### Per command\n\n"
                + profiles
            )

    scen = [
        ("1. Fresh login: one GetSessionToken", s1, "÷ mfaenv",
         "Reference for the target: the plain boto3 script on the same Python and botocore as mfaenv."),
        ("2. Reusing a session: no STS call", s2, "÷ mfaenv (÷ python for `pass`)",
         "awsume: its cache hit (`~/.cache/awsume`); aws-mfa: its still-valid check of `[work]`; AWS CLI: it has "
         "no MFA session cache for GetSessionToken, so it exports a profile holding the session."),
        ("3. Fast commands", s3, "÷ `python -c pass` (same install)",
         "`status` and `logout` run in the environment of a bash that evaluated `mfaenv login`; "
         "`export` reads `aws sts get-session-token` JSON from a file."),
    ]  # fmt: skip
    text = report(mode, time.monotonic() - started, s, policy, scen, found, prompt, profiles)
    RESULTS.write_text(text)
    print(text)
    say(f"wrote {RESULTS} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
