#!/usr/bin/env python3
"""mfaenv side by side with the tools people use today: awsume, aws-mfa, the AWS CLI v2, plain boto3.

    python3 bench/peers.py [--quick] [--only KEYS] [--output FILE] [--run-prompt] [--profile-all]

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
every round, so A B C A B C ...; one validated warm-up run each first). Each is
one function registered with @scenario, in the order of the report:

1. fresh login, one GetSessionToken each;
2. reusing a session: no STS call;
3. fast commands (status, logout, init, export) next to `python -c pass`;
4. `credential-process` with a cached session next to `python -c pass`;
5. the AWS CLI v2 (and boto3) calling GetCallerIdentity through a
   `credential_process = mfaenv credential-process` profile, next to the same
   client reading the session's keys from the credentials file;
6. a role from the cached MFA session (one AssumeRole) next to a plain boto3
   AssumeRole script, awsume and the AWS CLI v2;
7. bash completion of `mfaenv login --profile <TAB>`;
8. a fresh login with the long-term keys in the keyring (Secret Service) next
   to the same login with them in the credentials file;
9. the prompt segment, from bench/prompt.py's results.

A scenario, or its mfaenv rows, whose feature mfaenv does not have yet is
skipped with a printed reason (found by asking mfaenv: a command's exit status,
its hook); it starts measuring when the feature lands.

Each run is validated: exit status; the output, read the way a user's tools
read it (mfaenv's shell statements are evaluated by a real bash and the
resulting environment compared with the session, so the check follows the
renderer whatever its quoting; JSON is parsed); and the number of STS requests
the emulator logged during the run (1 for each STS call, 0 otherwise). A run
that fails validation stops the benchmark (exit 1): its timing would mean nothing.

`--quick`: 3 rounds, every check, no profiling, nothing written unless
`--output` names a file; a tool that cannot be installed (the AWS CLI v2 from
Debian) is skipped with a line saying so. It asserts no timing: CI runs it.

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
# The interpreter the Python running this script was made from (not a venv's bin), and its mfaenv.
PYENV_BIN = Path(sys.base_prefix) / "bin"
PROFILE = "work"
ROLE = "bench-role"  # a role profile: role_arn, source_profile = work, the same mfa_serial
CODE = "{code}"  # replaced by a new 6-digit code each run: AWS, and mfaenv, refuse a code used before
RUN_TIMEOUT = 120  # s; a child that hangs (waiting for a terminal, say) fails the run
DEPS = ("boto3", "botocore", "click", "shellingham", "platformdirs")  # pinned in both venvs


@dataclasses.dataclass(frozen=True)
class Mode:
    name: str
    rounds: int
    warmup: int
    mem_rounds: int  # extra runs under GNU time for the peak memory
    quick: bool  # a sanity run: every check, no profiling, a tool that cannot be installed is skipped


FULL = Mode("full", rounds=15, warmup=1, mem_rounds=3, quick=False)
QUICK = Mode("quick", rounds=3, warmup=1, mem_rounds=1, quick=True)

#: GNU time, for peak memory. The child's own ru_maxrss from wait4 is useless here: Linux
#: carries the peak RSS of the process image an exec replaces over to the new program, and
#: a child spawned by this script starts as a copy (or vfork) of this ~25 MiB Python. GNU
#: time is a small C program, so what it reports for its child is the child's own peak.
GNU_TIME = Path("/usr/bin/time")


class SetupError(Exception):
    pass


class RunFailed(Exception):
    pass


class Skip(Exception):
    """A scenario that cannot run here yet; the message says why (printed, and shown in the report)."""


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


def apt_install(*packages: str) -> bool:
    """apt-get install as root; one `apt-get update` and a retry when that fails (a fresh machine has no lists)."""
    if os.geteuid() != 0:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", *packages]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=False)
    return subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode == 0


def ensure_awscli() -> str:
    """Debian's awscli (v2 on bookworm); returns `apt-cache policy awscli`, condensed."""
    if not AWS_CLI.exists():
        if os.geteuid() != 0:
            raise SetupError("the AWS CLI is missing: `sudo apt-get install awscli` (Debian 12 ships v2), then rerun")
        say("installing the AWS CLI with apt-get (Debian's awscli package)")
        if not apt_install("awscli"):
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


def ensure_tools(mode: Mode) -> tuple[str, Path]:
    """The venvs and the CLI; returns (apt policy line, "" without the CLI, the Python that runs moto's server).

    Only a quick run goes on without the AWS CLI v2 (it comes from Debian, not PyPI); a full run needs it.
    """
    try:
        policy = ensure_awscli()
    except SetupError as e:
        if not mode.quick:
            raise
        say(f"skipping the AWS CLI v2 rows: {e}")
        policy = ""
    constraints = pins()
    # A regular install, as pip/pipx give users: byte-compiled at install time.
    # (Editable, with PYTHONDONTWRITEBYTECODE set as on this machine, mfaenv
    # would recompile its sources on every run while the peers' .pyc exist.)
    # The fingerprint covers the sources, so every change is reinstalled.
    sources = [
        ROOT / "pyproject.toml",
        *sorted((ROOT / "mfaenv").rglob("*.py")),
        *sorted((ROOT / "shell-hooks").iterdir()),
    ]
    fingerprint = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    ensure_venv(MFAENV_VENV, [str(ROOT)], constraints, fingerprint)
    peer_pins = {k: v for k, v in constraints.items() if k in ("boto3", "botocore")}
    ensure_venv(PEERS_VENV, ["awsume", "aws-mfa"], peer_pins, "")
    if not GNU_TIME.exists() and os.geteuid() == 0:
        say("installing GNU time with apt-get (for peak memory)")
        apt_install("time")
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
user = iam.create_user(UserName="bench")["User"]
key = iam.create_access_key(UserName="bench")["AccessKey"]
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="bench")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="bench", SerialNumber=dev["SerialNumber"],
                      AuthenticationCode1="123456", AuthenticationCode2="654321")
# A role whose trust needs MFA, as a user's would (moto enforces no trust policy; the shape is for realism).
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": user["Arn"]},
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
role = iam.create_role(RoleName="bench-admin", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "serial": dev["SerialNumber"],
                  "role_arn": role["Arn"]}))
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

# The floor for a role from an MFA session: the session's keys in the environment, one AssumeRole.
ROLE_FLOOR = """\
import sys

import boto3

creds = boto3.Session().client("sts").assume_role(RoleArn=sys.argv[1], RoleSessionName="bench")["Credentials"]
print(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
"""

# An SDK process using a profile: one GetCallerIdentity, as `aws sts get-caller-identity --profile P` does.
WHO = """\
import json
import sys

import boto3

print(json.dumps(boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity()))
"""


@dataclasses.dataclass(frozen=True)
class User:
    key: str
    secret: str
    serial: str
    role_arn: str


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
    # The role as botocore, awsume and (from issue 13 on) mfaenv read it; unused by the other scenarios.
    config += (
        f"\n[profile {ROLE}]\nrole_arn = {user.role_arn}\nsource_profile = {PROFILE}\n"
        f"mfa_serial = {user.serial}\nregion = eu-west-1\n"
    )
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


Check = Callable[[int, str, str], "str | None"]  # (exit, stdout, stderr) -> the problem, or None


@dataclasses.dataclass
class Command:
    key: str
    tool: str  # shown in the table
    label: str  # the command line as shown
    argv: list[str]
    env: dict[str, str]
    check: Check
    sts_calls: int = 0
    stdin: bytes = b""
    ref: str = ""  # key of the command this row's ratio is against
    before: Callable[[], None] | None = None  # run before each run, untimed (e.g. drop a cache the row must miss)
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
        if cmd.before:
            cmd.before()
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
        # Setting a scenario up may call STS (a probe, a cache filled): count from here.
        time.sleep(0.3)
        self.expected = self.moto.requests()
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


def expect(code: int = 0, out: tuple[str, ...] = (), out_not: tuple[str, ...] = (), empty: bool = False) -> Check:
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


def file_has(path: Path, needle: str, inner: Check) -> Check:
    def check(got: int, stdout: str, stderr: str) -> str | None:
        problem = inner(got, stdout, stderr)
        if problem is None and needle not in path.read_text():
            problem = f"{path} lacks the session"
        return problem

    return check


def in_bash(text: str, env: dict[str, str], probe: str) -> tuple[int, str]:
    """Evaluate `text` in a real bash as `eval "$(mfaenv ...)"` does, then run `probe` there; (exit, its stdout).

    The text arrives on stdin, not in argv: it holds the session's keys.
    """
    script = f'eval "$(cat)" || exit 97\n{probe}'
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        input=text.encode(), env=env, capture_output=True, check=False, timeout=RUN_TIMEOUT,
    )  # fmt: skip
    return done.returncode, done.stdout.decode("utf-8", "replace")


DIGITS = re.compile(r"[0-9]+")


def evaluates(env: dict[str, str], want: dict[str, str | re.Pattern[str] | None], code: int = 0) -> Check:
    """The output, evaluated by bash in `env`, leaves each variable as `want` says.

    This is what a user gets from `eval "$(mfaenv login --shell bash)"`, so the check
    follows the renderer, whatever its quoting, instead of keeping a copy of the format.
    """

    def check(got: int, stdout: str, stderr: str) -> str | None:
        if got != code:
            return f"exit {got}, expected {code}"
        rc, dump = in_bash(stdout, env, "env -0")
        if rc:
            return f"bash could not evaluate the output (exit {rc})"
        after = dict(item.split("=", 1) for item in dump.split("\0") if "=" in item)
        for name, expected in want.items():
            value = after.get(name)
            if expected is None:
                ok, wanted = value is None, "unset"
            elif isinstance(expected, str):
                ok, wanted = value == expected, repr(expected[:24])
            else:
                ok, wanted = value is not None and expected.fullmatch(value) is not None, f"/{expected.pattern}/"
            if not ok:
                shown = "unset" if value is None else repr(value[:24])
                return f"after bash evaluated the output, {name} is {shown}, expected {wanted}"
        return None

    return check


def hook_loads(env: dict[str, str]) -> Check:
    """`mfaenv init bash`, evaluated, defines the `mfaenv` function and a PROMPT_COMMAND that shows the session."""
    probe = 'for _c in "${PROMPT_COMMAND[@]}"; do eval "$_c"; done\nprintf "%s\\n" "$(type -t mfaenv)" "${MFAENV_PS1-}"'

    def check(got: int, stdout: str, stderr: str) -> str | None:
        if got:
            return f"exit {got}, expected 0"
        rc, out = in_bash(stdout, env, probe)
        kind, _, segment = out.partition("\n")
        if rc or kind != "function" or PROFILE not in segment:
            return f"bash that evaluated the hook has `mfaenv` {kind or 'undefined'!r} and segment {segment.strip()!r}"
        return None

    return check


def status_ok(code: int, stdout: str, stderr: str) -> str | None:
    # Exit status 0 is `mfaenv status`'s documented "valid"; the profile's name is all the text we rely on.
    if code:
        return f"exit {code}, expected 0 (valid)"
    return None if PROFILE in stdout else f"stdout does not name profile {PROFILE!r}"


def process_json(key: str | re.Pattern[str], token: str | re.Pattern[str]) -> Check:
    """credential_process JSON as the AWS SDKs read it: Version 1, the keys, an ISO 8601 Expiration."""

    def check(code: int, stdout: str, stderr: str) -> str | None:
        if code:
            return f"exit {code}, expected 0"
        try:
            doc = json.loads(stdout)
            expires = datetime.datetime.fromisoformat(str(doc["Expiration"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError) as e:
            return f"not credential_process JSON with an Expiration: {type(e).__name__}"
        for name, want in (("AccessKeyId", key), ("SessionToken", token)):
            value = str(doc.get(name, ""))
            if not (value == want if isinstance(want, str) else want.fullmatch(value)):
                return f"{name} is {value[:24]!r}"
        if doc.get("Version") != 1 or not doc.get("SecretAccessKey") or expires.tzinfo is None:
            return "Version is not 1, SecretAccessKey is missing, or Expiration has no zone"
        return None

    return check


def caller_identity(code: int, stdout: str, stderr: str) -> str | None:
    if code:
        return f"exit {code}, expected 0"
    try:
        doc = json.loads(stdout)
    except ValueError:
        return "stdout is not JSON"
    return None if isinstance(doc, dict) and doc.get("Account") and doc.get("Arn") else "no Account and Arn"


# --------------------------------------------------------------------------- scenarios


@dataclasses.dataclass
class Setup:
    tmp: Path
    moto: Moto
    user: User
    session: dict[str, str]  # the session moto hands out (the same for every GetSessionToken), as STS names it
    session_json: Path  # `aws sts get-session-token` output, for `mfaenv export FILE`
    homes: dict[str, Path]
    pyenv_mfaenv: Path | None
    pyenv_python: Path
    awscli: bool  # False only in a quick run on a machine that could not install it
    warmed: set[str] = dataclasses.field(default_factory=set)

    @property
    def token(self) -> str:
        return self.session["SessionToken"]

    def home(self, name: str) -> Path:
        """The HOME of one tool (or one scenario), made on first use; aws-mfa's in the layout it wants."""
        if name not in self.homes:
            self.homes[name] = self.tmp / "homes" / name
            write_home(self.homes[name], self.user, "aws-mfa" if name == "aws-mfa" else "standard")
        return self.homes[name]


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    what: str
    key: str  # the command measured
    ref: str  # the command it is divided by, in the same round
    limit: float
    install: str = "clean venv"


@dataclasses.dataclass
class Scenario:
    title: str
    cmds: list[Command]
    ratio_head: str
    note: str = ""
    targets: list[TargetSpec] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)  # rows left out, and why (printed, reported)
    teardown: Callable[[], None] | None = None


Builder = Callable[[Setup], Scenario]
#: (key for --only, builder), in report order. A new row is one more function with @scenario.
SCENARIOS: list[tuple[str, Builder]] = []


def scenario(key: str) -> Callable[[Builder], Builder]:
    def add(build: Builder) -> Builder:
        SCENARIOS.append((key, build))
        return build

    return add


def mfaenv_installs(s: Setup) -> list[tuple[str, str, Path, Path]]:
    """(key suffix, label, console script, its python); the clean venv first."""
    found = [("", "mfaenv", MFAENV_VENV / "bin" / "mfaenv", venv_python(MFAENV_VENV))]
    if s.pyenv_mfaenv:
        found.append(("-pyenv", "mfaenv (pyenv install)", s.pyenv_mfaenv, s.pyenv_python))
    return found


def install_name(suffix: str) -> str:
    return "clean venv" if not suffix else "pyenv install"


MFAENV = MFAENV_VENV / "bin" / "mfaenv"  # the clean venv's console script: the new scenarios' mfaenv


def env_for(s: Setup, home: str) -> dict[str, str]:
    return clean_base_env(s.moto, s.home(home))


def run_once(s: Setup, argv: list[str], home: str, stdin: bytes = b"", extra: dict[str, str] | None = None) -> str:
    """Run a command untimed (setting a scenario up); its stdout, or SetupError with its stderr."""
    cmd = Command("setup", "setup", " ".join(argv), argv, {**env_for(s, home), **(extra or {})}, expect(), stdin=stdin)
    _, code, out, err = spawn(cmd)
    if code:
        raise SetupError(f"`{' '.join(argv)}` failed (exit {code}): {err.strip()[-500:]}")
    return out


def warm(s: Setup, home: str) -> None:
    """A cached MFA session in `home`, for the tool that HOME belongs to (once per run)."""
    if home in s.warmed:
        return
    script = next((sc for suf, _, sc, _ in mfaenv_installs(s) if home == f"mfaenv{suf}"), MFAENV)
    if home == "awsume":
        run_once(s, [str(PEERS_VENV / "bin" / "awsumepy"), PROFILE, "-r", "--mfa-token", CODE], home)
    elif home == "aws-mfa":
        run_once(s, [str(PEERS_VENV / "bin" / "aws-mfa"), "--profile", PROFILE, "--force"], home, f"{CODE}\n".encode())
    else:
        run_once(
            s, [str(script), "login", "--profile", PROFILE, "--fresh", "--token-code", CODE, "--shell", "bash"], home
        )
    s.warmed.add(home)


def session_want(s: Setup, profile: str | None = PROFILE) -> dict[str, str | re.Pattern[str] | None]:
    """The environment after a login to the emulator's session (profile None: not checked)."""
    want: dict[str, str | re.Pattern[str] | None] = {
        "AWS_ACCESS_KEY_ID": s.session["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": s.session["SecretAccessKey"],
        "AWS_SESSION_TOKEN": s.token,
        "MFAENV_EXPIRES": DIGITS,
    }
    if profile:
        want["MFAENV_PROFILE"] = profile
    return want


def mfaenv_says(s: Setup, argv: list[str], home: str) -> tuple[int, str]:
    """Ask mfaenv something untimed: (exit status, its stderr's last line)."""
    done = subprocess.run(
        [str(MFAENV), *argv], env=env_for(s, home), capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL, start_new_session=True, timeout=RUN_TIMEOUT,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def has_command(s: Setup, name: str) -> bool:
    """mfaenv has a subcommand `name`: `mfaenv NAME --help` exits 0 (click exits 2 for an unknown command)."""
    return mfaenv_says(s, [name, "--help"], "mfaenv")[0] == 0


def keeper(folder: Path, snapshot: Path) -> Callable[[], None]:
    """Copies `folder` to `snapshot` now; the function it returns puts it back as it was.

    For a row that must miss a cache each run, wherever the tool keeps that entry (a new
    file, or one more key in a file it had): the state before the first such run returns.
    """
    shutil.rmtree(snapshot, ignore_errors=True)
    if folder.exists():
        shutil.copytree(folder, snapshot, symlinks=True)

    def restore() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if snapshot.exists():
            shutil.copytree(snapshot, folder, symlinks=True)

    return restore


@scenario("fresh")
def fresh_login(s: Setup) -> Scenario:
    tok = s.token
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        args = ["login", "--profile", PROFILE, "--fresh", "--token-code", CODE, "--shell", "bash"]
        env = env_for(s, f"mfaenv{suffix}")
        cmds.append(
            Command(
                f"mfaenv{suffix}", label, f"mfaenv {' '.join(args)}", [str(script), *args],
                env, evaluates(env, session_want(s)), sts_calls=1, ref="mfaenv",
            )
        )  # fmt: skip
    awsmfa_creds = s.home("aws-mfa") / ".aws" / "credentials"
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
    ]  # fmt: skip
    if s.awscli:
        cmds.append(
            Command(
                "awscli", "AWS CLI v2",
                f"aws sts get-session-token --profile {PROFILE} --serial-number ARN --token-code {CODE} --endpoint-url URL",
                [str(AWS_CLI), "sts", "get-session-token", "--profile", PROFILE, "--serial-number", s.user.serial,
                 "--token-code", CODE, "--endpoint-url", s.moto.url],
                env_for(s, "awscli"), expect(out=(tok,)), sts_calls=1, ref="mfaenv",
            )
        )  # fmt: skip
    floor = s.tmp / "floor.py"
    floor.write_text(FLOOR)
    for suffix, _, _, python in mfaenv_installs(s):
        where = "mfaenv's venv" if not suffix else "pyenv"
        cmds.append(
            Command(
                f"boto3{suffix}", f"plain boto3 ({where} python)", f"python floor.py {PROFILE} ARN {CODE}",
                [str(python), str(floor), PROFILE, s.user.serial, CODE],
                env_for(s, "boto3"), expect(out=(tok,)), sts_calls=1, ref="mfaenv",
            )
        )  # fmt: skip
    return Scenario(
        "Fresh login: one GetSessionToken", cmds, "÷ mfaenv",
        "Reference for the target: the plain boto3 script on the same Python and botocore as mfaenv.",
        [TargetSpec("fresh `login` ÷ plain boto3 script", f"mfaenv{x}", f"boto3{x}", 1.05, install_name(x))
         for x, *_ in mfaenv_installs(s)],
    )  # fmt: skip


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


@scenario("reuse")
def reuse(s: Setup) -> Scenario:
    tok = s.token
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        warm(s, f"mfaenv{suffix}")
        args = ["login", "--profile", PROFILE, "--shell", "bash"]  # no code: a cache miss would fail (no terminal)
        env = env_for(s, f"mfaenv{suffix}")
        cmds.append(
            Command(
                f"mfaenv{suffix}", label, f"mfaenv {' '.join(args)}", [str(script), *args],
                env, evaluates(env, session_want(s)), ref="mfaenv",
            )
        )  # fmt: skip
    warm(s, "awsume")
    warm(s, "aws-mfa")
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
    ]  # fmt: skip
    if s.awscli:
        cmds.append(
            Command(
                "awscli", "AWS CLI v2", f"aws configure export-credentials --profile {PROFILE}-session --format env",
                [str(AWS_CLI), "configure", "export-credentials", "--profile", f"{PROFILE}-session", "--format", "env"],
                env_for(s, "awscli"), expect(out=(f"AWS_SESSION_TOKEN={tok}",)), ref="mfaenv",
            )
        )  # fmt: skip
    return Scenario(
        "Reusing a session: no STS call", cmds + pass_commands(s), "÷ mfaenv (÷ python for `pass`)",
        "awsume: its cache hit (`~/.cache/awsume`); aws-mfa: its still-valid check of `[work]`; AWS CLI: it has "
        "no MFA session cache for GetSessionToken, so it exports a profile holding the session.",
        [TargetSpec("cached `login` ÷ `python -c pass`", f"mfaenv{x}", f"pass{x}", 3.0, install_name(x))
         for x, *_ in mfaenv_installs(s)],
    )  # fmt: skip


def session_env(s: Setup, suffix: str, script: Path) -> dict[str, str]:
    """The environment of a shell that ran `eval "$(mfaenv login)"` (a cache hit), read back with env -0."""
    warm(s, f"mfaenv{suffix}")
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


#: What `logout` removes, as the README lists it: a shell that evaluated it holds none of these.
LOGGED_OUT = dict.fromkeys(
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MFAENV_PROFILE", "MFAENV_EXPIRES")
)


@scenario("fast")
def fast(s: Setup) -> Scenario:
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        live = session_env(s, suffix, script)
        plain = env_for(s, f"mfaenv{suffix}")
        for name, args, env, check in (
            ("status", ["status"], live, status_ok),
            ("logout", ["logout", "--shell", "bash"], live, evaluates(live, LOGGED_OUT)),
            ("init", ["init", "bash"], plain, hook_loads(live)),
            ("export", ["export", str(s.session_json), "--shell", "bash"], plain,
             evaluates(plain, session_want(s, profile=None))),
        ):  # fmt: skip
            shown = " ".join(args).replace(str(s.session_json), "session.json")
            cmds.append(
                Command(
                    f"{name}{suffix}", label, f"mfaenv {shown}", [str(script), *args], env, check, ref=f"pass{suffix}"
                )
            )
    return Scenario(
        "Fast commands", cmds + pass_commands(s), "÷ `python -c pass` (same install)",
        "`status` and `logout` run in the environment of a bash that evaluated `mfaenv login`; "
        "`export` reads `aws sts get-session-token` JSON from a file.",
        [TargetSpec(f"`{name}` ÷ `python -c pass`", f"{name}{x}", f"pass{x}", 3.0, install_name(x))
         for x, *_ in mfaenv_installs(s) for name in ("status", "logout", "init", "export")],
    )  # fmt: skip


@scenario("credential-process")
def credential_process(s: Setup) -> Scenario:
    cmds = []
    for suffix, label, script, _ in mfaenv_installs(s):
        warm(s, f"mfaenv{suffix}")
        args = ["credential-process", "--profile", PROFILE]
        cmds.append(
            Command(
                f"cp{suffix}", label, f"mfaenv {' '.join(args)}", [str(script), *args], env_for(s, f"mfaenv{suffix}"),
                process_json(s.session["AccessKeyId"], s.token), ref=f"pass{suffix}",
            )
        )  # fmt: skip
    return Scenario(
        "`credential-process` with a cached session", cmds + pass_commands(s), "÷ `python -c pass` (same install)",
        "What every SDK process using a `credential_process = mfaenv credential-process` profile pays first; "
        "the output is checked as the SDKs read it (JSON, `Version` 1, the session's keys, an `Expiration`).",
        [TargetSpec("`credential-process` ÷ `python -c pass`", f"cp{x}", f"pass{x}", 3.0, install_name(x))
         for x, *_ in mfaenv_installs(s)],
    )  # fmt: skip


@scenario("cli-credential-process")
def cli_credential_process(s: Setup) -> Scenario:
    """GetCallerIdentity through `credential_process = mfaenv credential-process`, and with the keys in the file."""
    home = s.home("cp")
    session = s.session
    with open(home / ".aws" / "config", "a") as f:
        f.write(
            f"\n[profile {PROFILE}-mfa]\nregion = eu-west-1\n"
            f"credential_process = {MFAENV} credential-process --profile {PROFILE}\n"
            f"\n[profile {PROFILE}-session]\nregion = eu-west-1\n"
        )
    with open(home / ".aws" / "credentials", "a") as f:
        f.write(
            f"\n[{PROFILE}-session]\naws_access_key_id = {session['AccessKeyId']}\n"
            f"aws_secret_access_key = {session['SecretAccessKey']}\naws_session_token = {session['SessionToken']}\n"
        )
    warm(s, "cp")
    env = env_for(s, "cp")
    who = s.tmp / "who.py"
    who.write_text(WHO)
    python = venv_python(MFAENV_VENV)
    cmds = []
    if s.awscli:
        for key, tool, profile in (
            ("cli-mfaenv", "AWS CLI v2 + mfaenv credential-process", f"{PROFILE}-mfa"),
            ("cli-file", "AWS CLI v2, session keys in the credentials file", f"{PROFILE}-session"),
        ):
            cmds.append(
                Command(
                    key, tool, f"aws sts get-caller-identity --profile {profile} --endpoint-url URL",
                    [str(AWS_CLI), "sts", "get-caller-identity", "--profile", profile, "--endpoint-url", s.moto.url],
                    env, caller_identity, sts_calls=1, ref="cli-file",
                )
            )  # fmt: skip
    for key, tool, profile in (
        ("boto3-mfaenv", "boto3 + mfaenv credential-process", f"{PROFILE}-mfa"),
        ("boto3-file", "boto3, session keys in the credentials file", f"{PROFILE}-session"),
    ):
        cmds.append(
            Command(
                key, tool, f"python who.py {profile}", [str(python), str(who), profile], env, caller_identity,
                sts_calls=1, ref="boto3-file",
            )
        )  # fmt: skip
    missing = [
        "awsume: none to compare. awsume 4.5.4 reads `credential_process` profiles but has no mode that serves "
        "one (`awsumepy --help` lists none; its docs neither); aws-mfa has none either."
    ]
    if not s.awscli:
        missing.append("AWS CLI v2: not installed (quick run): its rows are left out")
    return Scenario(
        "An SDK through `credential_process`: one GetCallerIdentity", cmds,
        "÷ the same client with the keys in the credentials file",
        f"`[profile {PROFILE}-mfa]` has `credential_process = mfaenv credential-process --profile {PROFILE}` "
        f"(a cached session: no GetSessionToken, no code); `[{PROFILE}-session]` holds the same session's keys in "
        "the credentials file, the least a client can do. The ratio is what the credential process adds.",
        missing=missing,
    )  # fmt: skip


@scenario("role")
def role_login(s: Setup) -> Scenario:
    """A role from the cached MFA session: one AssumeRole signed with the session, no code."""
    warm(s, "mfaenv")
    warm(s, "awsume")
    floor = s.tmp / "role_floor.py"
    floor.write_text(ROLE_FLOOR)
    session_env_ = {
        "AWS_ACCESS_KEY_ID": s.session["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": s.session["SecretAccessKey"],
        "AWS_SESSION_TOKEN": s.token,
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    # A role session's keys: not the MFA session's (moto's AssumeRole makes new ones each call).
    role_key = re.compile(r"ASIA[A-Z0-9]{12,}")
    other_token = re.compile(rf"(?!{re.escape(s.token)}$).+", re.S)
    cmds = [
        Command(
            "boto3", "plain boto3 AssumeRole (mfaenv's venv python)", "python role_floor.py ROLE_ARN",
            [str(venv_python(MFAENV_VENV)), str(floor), s.user.role_arn],
            {**env_for(s, "boto3"), **session_env_}, expect(out=("ASIA",), out_not=(s.token,)), sts_calls=1,
            ref="boto3",
        ),
        Command(
            "awsume", "awsume", f"awsumepy {ROLE}", [str(PEERS_VENV / "bin" / "awsumepy"), ROLE],
            env_for(s, "awsume"), expect(out=("Awsume ASIA",), out_not=(s.token,)), sts_calls=1, ref="boto3",
        ),
    ]  # fmt: skip
    missing = []
    if s.awscli:
        # The CLI has no role from an MFA *session* of its own: the manual way is the session's keys in a
        # profile ([work-session], as in scenario 2) signing `sts assume-role`. Debian's 2.9.19 reads no
        # endpoint for the role provider of a profile, so the explicit command is the one that reaches moto.
        cmds.append(
            Command(
                "awscli", "AWS CLI v2",
                f"aws sts assume-role --profile {PROFILE}-session --role-arn ROLE_ARN --role-session-name bench "
                "--endpoint-url URL --region eu-west-1",
                [str(AWS_CLI), "sts", "assume-role", "--profile", f"{PROFILE}-session", "--role-arn", s.user.role_arn,
                 "--role-session-name", "bench", "--endpoint-url", s.moto.url, "--region", "eu-west-1"],
                env_for(s, "awscli"), expect(out=('"ASIA',), out_not=(s.token,)), sts_calls=1, ref="boto3",
            )
        )  # fmt: skip
    else:
        missing.append("AWS CLI v2: not installed (quick run): its row is left out")
    targets = []
    # The cache holds the MFA session now: each run of the role row starts from this state again, so
    # each is a role login from the cached MFA session (one AssumeRole), not a hit of a role cache.
    restore = keeper(s.home("mfaenv") / ".cache", s.tmp / "cache-before-role")
    code, said = mfaenv_says(s, ["login", "--profile", ROLE, "--shell", "bash"], "mfaenv")
    if code:
        missing.append(f"mfaenv: no role login yet (`mfaenv login --profile {ROLE}` exits {code}: {said}); "
                       "its row and target appear when it has one")  # fmt: skip
    else:
        env = env_for(s, "mfaenv")
        want = {"AWS_ACCESS_KEY_ID": role_key, "AWS_SESSION_TOKEN": other_token, "MFAENV_PROFILE": ROLE}
        args = ["login", "--profile", ROLE, "--shell", "bash"]
        cmds.insert(
            0,
            Command(
                "mfaenv", "mfaenv", f"mfaenv {' '.join(args)}", [str(MFAENV), *args], env, evaluates(env, want),
                sts_calls=1, ref="boto3", before=restore,
            ),
        )  # fmt: skip
        targets.append(TargetSpec("role `login` from a cached MFA session ÷ boto3 AssumeRole", "mfaenv", "boto3", 1.05))
    return Scenario(
        "A role from the cached MFA session: one AssumeRole", cmds, "÷ the boto3 AssumeRole script",
        f"`[profile {ROLE}]`: `role_arn`, `source_profile = {PROFILE}`, `mfa_serial`. Each tool starts from its "
        "cached MFA session (no code): awsume from its session cache (it caches no role sessions); the boto3 "
        "script from the session's keys in its environment, on mfaenv's Python and botocore.",
        targets, missing,
    )  # fmt: skip


def completion_script(s: Setup) -> tuple[Path, str] | None:
    """mfaenv's bash completion, as a file to source, and the function `complete -F` names; None if it has none.

    Asked of mfaenv, not assumed: first the hook (`mfaenv init bash` may register it), then click's own
    `_MFAENV_COMPLETE=bash_source`.
    """
    env = env_for(s, "mfaenv")
    for source_env in ({}, {"_MFAENV_COMPLETE": "bash_source"}):
        argv = [str(MFAENV)] if source_env else [str(MFAENV), "init", "bash"]
        done = subprocess.run(
            argv, env={**env, **source_env}, capture_output=True, text=True, check=False,
            stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT,
        )  # fmt: skip
        if done.returncode or not done.stdout.strip():
            continue
        path = s.tmp / "completion.bash"
        path.write_text(done.stdout)
        probe = subprocess.run(
            ["bash", "--norc", "--noprofile", "-c", f'source "{path}" >/dev/null 2>&1; complete -p mfaenv'],
            env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT,
        )  # fmt: skip
        if m := re.search(r"-F\s+(\S+)", probe.stdout):
            return path, m.group(1)
    return None


@scenario("completion")
def completion(s: Setup) -> Scenario:
    """One <TAB> after `mfaenv login --profile `: bash calls the completion function, which runs mfaenv."""
    found = completion_script(s)
    if found is None:
        raise Skip("mfaenv has no bash completion yet (neither `mfaenv init bash` nor `_MFAENV_COMPLETE=bash_source` "
                   "registers one with `complete -F`)")  # fmt: skip
    path, func = found
    line = "mfaenv login --profile "
    words = 'COMP_WORDS=(mfaenv login --profile ""); COMP_CWORD=3'
    setup = f'source "{path}" >/dev/null; COMP_LINE="{line}"; COMP_POINT={len(line)}; {words}; COMP_TYPE=9; COMP_KEY=9'
    tab = f'{setup}; {func} mfaenv "" --profile; printf "%s\\n" "${{COMPREPLY[@]}}"'
    bare = f'{setup}; _bench_nop() {{ COMPREPLY=(); }}; _bench_nop mfaenv "" --profile'
    env = env_for(s, "mfaenv")

    def offers(code: int, stdout: str, stderr: str) -> str | None:
        got = set(stdout.split())
        if code or not {PROFILE, ROLE} <= got:
            return (
                f"exit {code}; offered {sorted(got)[:8]}, expected {PROFILE!r} and {ROLE!r} (the profiles in the files)"
            )
        return None

    cmds = [
        Command("tab", "mfaenv", f"<TAB> after '{line}' (bash runs {func})",
                ["/bin/bash", "--norc", "--noprofile", "-c", tab], env, offers, ref="pass"),
        Command("bare", "bash baseline", "the same bash, sourcing the same file, an empty completion function",
                ["/bin/bash", "--norc", "--noprofile", "-c", bare], env, expect(), ref="pass"),
        *pass_commands(s)[:1],
    ]  # fmt: skip
    return Scenario(
        "Completion: `mfaenv login --profile <TAB>` in bash", cmds, "÷ `python -c pass`",
        f"Each run is one bash that sources mfaenv's completion script ({func}) and completes once, as a "
        "keypress does; the baseline row is the same bash with an empty function, so the difference is "
        "what the keypress costs.",
    )  # fmt: skip


def start_keyring(s: Setup, home: Path) -> tuple[dict[str, str], Callable[[], None]]:
    """A session D-Bus and an unlocked gnome-keyring Secret Service of our own; (env to add, stop)."""
    for prog, pkg in (("dbus-daemon", "dbus-daemon"), ("gnome-keyring-daemon", "gnome-keyring")):
        if not shutil.which(prog):
            say(f"installing {pkg} with apt-get (the Secret Service for the keyring rows)")
            if not apt_install(pkg):
                raise Skip(f"{prog} is missing and could not be installed (apt-get install {pkg})")
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**env_for(s, "keyring"), "XDG_RUNTIME_DIR": str(runtime)}
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env, capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    lines = bus.stdout.split()
    if bus.returncode or len(lines) < 2 or not lines[1].isdigit():
        raise Skip(f"could not start a session D-Bus: {bus.stderr.strip()[-300:]}")
    address, pids = lines[0], [int(lines[1])]

    def stop() -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input="bench-keyring-password", env=env, capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    if daemon.returncode:
        stop()
        raise Skip(f"gnome-keyring-daemon did not start: {daemon.stderr.strip()[-300:]}")
    # It forks away; its pid is the owner of the Secret Service name on our bus.
    owner = subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if m := re.search(r"uint32 (\d+)", owner.stdout):
        pids.insert(0, int(m.group(1)))
    return {"DBUS_SESSION_BUS_ADDRESS": address, "XDG_RUNTIME_DIR": str(runtime)}, stop


@scenario("keyring")
def keyring_login(s: Setup) -> Scenario:
    """A fresh login with the long-term keys in the Secret Service, next to the same login with them in the file."""
    if not has_command(s, "add"):
        raise Skip("mfaenv has no `mfaenv add` yet (long-term keys in the keyring, issue 14)")
    home = s.home("keyring")
    (home / ".aws" / "credentials").write_text("")  # the keys go to the keyring, not the file
    extra, stop = start_keyring(s, home)
    try:
        # `mfaenv add` reads the key id, then the secret, from stdin when it is not a terminal.
        keys = f"{s.user.key}\n{s.user.secret}\n".encode()
        try:
            run_once(s, [str(MFAENV), "add", PROFILE], "keyring", stdin=keys, extra=extra)
        except SetupError as e:
            # The rows were written before `add` existed (issue 14): say what to adapt rather than fail CI.
            raise Skip(f"{e}; adapt keyring_login() in bench/peers.py to how `mfaenv add` takes the keys") from None
        if s.user.secret in "".join(p.read_text(errors="replace") for p in (home / ".aws").iterdir() if p.is_file()):
            raise RunFailed("after `mfaenv add`, the secret key is still in a file under ~/.aws")
    except BaseException:
        stop()
        raise
    args = ["login", "--profile", PROFILE, "--fresh", "--token-code", CODE, "--shell", "bash"]
    kr_env = {**env_for(s, "keyring"), **extra}
    file_env = env_for(s, "mfaenv")
    cmds = [
        Command("keyring", "mfaenv, keys in the keyring", f"mfaenv {' '.join(args)}", [str(MFAENV), *args],
                kr_env, evaluates(kr_env, session_want(s)), sts_calls=1, ref="file"),
        Command("file", "mfaenv, keys in the credentials file", f"mfaenv {' '.join(args)}", [str(MFAENV), *args],
                file_env, evaluates(file_env, session_want(s)), sts_calls=1, ref="file"),
    ]  # fmt: skip
    return Scenario(
        "Fresh login: keys in the keyring or in the credentials file", cmds, "÷ keys in the file",
        "The keyring is gnome-keyring's Secret Service on a D-Bus session bus of the benchmark's own, unlocked; "
        "the ratio is what reading the keys from it adds to a fresh login.",
        teardown=stop,
    )  # fmt: skip


# --------------------------------------------------------------------------- prompt results


def read_prompt_results(path: Path) -> tuple[list[list[str]], str]:
    """The main table's rows and the header line of a bench/prompt.py report."""
    if not path.exists():
        return [], ""
    text = path.read_text().split("## Raw fork counts")[0]  # the main table only
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| shell") and "---" not in line
    ]
    rows = [r for r in rows if len(r) == 7]
    header = next((ln for ln in text.splitlines() if ln.startswith("`python3 bench/prompt.py")), "")
    return rows, header


def prompt_rows(run: bool, mode: Mode, tmp: Path) -> tuple[list[list[str]], str]:
    """Rows of bench/RESULTS-prompt.md for bash and zsh (fish too if there), running prompt.py when asked or needed.

    A quick run of prompt.py writes to a temporary file: the committed results stay those of a full run.
    """
    rows, header = read_prompt_results(PROMPT_RESULTS)
    if run or not {"bash", "zsh"} <= {r[0] for r in rows}:
        shells = ["bash", "zsh"] + (["fish"] if shutil.which("fish") else [])
        missing = [sh_ for sh_ in ("bash", "zsh") if not shutil.which(sh_)]
        if missing:
            say(f"installing {' '.join(missing)} with apt-get for bench/prompt.py")
            apt_install(*missing)
        out = tmp / "RESULTS-prompt.md" if mode.quick else PROMPT_RESULTS
        say(f"running bench/prompt.py{' --quick' if mode.quick else ''} --shells {','.join(shells)}")
        argv = [sys.executable, str(HERE / "prompt.py"), "--shells", ",".join(shells), "--output", str(out)]
        argv += ["--mfaenv", str(MFAENV)] + (["--quick"] if mode.quick else [])
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
        if done.returncode:
            raise RunFailed(f"bench/prompt.py exited {done.returncode}")
        rows, header = read_prompt_results(out)
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
    cmd: Command  # the mfaenv command measured (profiled when it misses)
    ref: Command

    @property
    def ok(self) -> bool:
        return self.value <= self.limit


def targets(scenarios: list[Scenario]) -> list[Target]:
    found = []
    for sc in scenarios:
        k = {c.key: c for c in sc.cmds}
        for spec in sc.targets:
            c, ref = k[spec.key], k[spec.ref]
            found.append(Target(spec.what, ratio(c, ref), spec.limit, spec.install, c, ref))
    return found


def target_table(found: list[Target]) -> str:
    if not found:
        return "(no target among the scenarios run)\n"
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
        f"AWS CLI: {first_line([str(AWS_CLI), '--version'])} (Debian package awscli; apt-cache policy: {policy})"
        if policy
        else "AWS CLI: not installed (a quick run goes on without it)",
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
    "platformdirs", "shellingham", "mfaenv.plan", "mfaenv.shells", "mfaenv.cli.app", "mfaenv.flow.login",
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
    mode: Mode, seconds: float, s: Setup, policy: str, done: list[Scenario], skipped: list[tuple[str, str]],
    found: list[Target], prompt: tuple[list[list[str]], str], profiles: str,
) -> str:  # fmt: skip
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python3 bench/peers.py" + (" --quick" if mode.quick else "")
    parts = [
        "# mfaenv next to awsume, aws-mfa, the AWS CLI v2 and plain boto3\n",
        f"`{cmd}` on {when}, {seconds:.0f} s: {mode.warmup} warm-up run and {mode.rounds} timed rounds per "
        "command, the commands of a scenario taking turns (order rotated each round).\n",
        f"- Machine: {machine()}; load average (1 min) {LOAD[0]:.2f} at the start, {os.getloadavg()[0]:.2f} "
        "at the end (anything else running on the machine moves the timings; the ratios are paired per round)",
        *(f"- {v}" for v in versions(s, policy)),
        f"- STS: moto's server on {s.moto.url} (loopback), an IAM user with an access key, a virtual MFA "
        "device and a role; each tool has its own temporary HOME. Every run validated: exit status, output "
        "(mfaenv's statements evaluated by bash and the environment compared; JSON parsed), and the STS "
        "requests the emulator logged (one per STS call the command makes, 0 otherwise).",
        "- Ratios (÷ columns, targets): the median over rounds of the two commands' ratio in the same round.\n"
        f"- Wall time around posix_spawn + wait4 (no shell); CPU = user + sys of the child (wait4); max RSS from "
        f"{mode.mem_rounds} more runs per command under GNU time (`%M`), median. `site` at start-up: {site_tax(venv_python(MFAENV_VENV))} in the clean venv, "
        f"{site_tax(s.pyenv_python)} in {s.pyenv_python} (its site-packages has the sandbox's "
        "`_sandboxing_egress_ca.pth`, which imports certifi in every process).",
        "",
    ]
    n = 0
    for sc in done:
        n += 1
        parts += [f"## {n}. {sc.title}\n", table(sc.cmds, sc.ratio_head), sc.note, ""]
        parts += [f"- Not measured: {why}" for why in sc.missing] + ([""] if sc.missing else [])
    rows, header = prompt
    parts += [
        f"## {n + 1}. Prompt segment (from bench/prompt.py)\n",
        (f"From bench/RESULTS-prompt.md: {header}\n" if header else ""),
        prompt_table(rows),
        "For comparison, none of awsume, aws-mfa or the AWS CLI has a prompt segment: "
        "a prompt that showed their session's time left would run a program per prompt "
        "(the naive `$(date +%s)` row is the cheapest such fork).\n",
    ]
    if skipped:
        parts += ["## Not measured yet\n", *(f"- `{key}`: {why}" for key, why in skipped), ""]
    parts += ["## Targets\n", target_table(found)]
    if profiles:
        parts += ["## Profiling: where mfaenv's time goes (clean venv)\n", profiles]
    return "\n".join(parts) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, every check, no profiling: a sanity run")
    parser.add_argument(
        "--only", metavar="KEYS", help=f"comma-separated scenarios to run, of: {', '.join(k for k, _ in SCENARIOS)}"
    )
    parser.add_argument(
        "--output", metavar="FILE", type=Path, help=f"write the report here (default: {RESULTS.name}; --quick: nowhere)"
    )
    parser.add_argument("--run-prompt", action="store_true", help="run bench/prompt.py even if its results exist")
    parser.add_argument("--profile-all", action="store_true", help="profile every mfaenv command, not only misses")
    args = parser.parse_args(argv)
    known = {k for k, _ in SCENARIOS}
    args.only = [k.strip() for k in args.only.split(",") if k.strip()] if args.only else sorted(known)
    if unknown := sorted(set(args.only) - known):
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    if args.output is None and not args.quick:
        args.output = RESULTS
    return args


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
        policy, moto_python = ensure_tools(mode)
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


GET_SESSION = """\
import json, sys
import boto3
sts = boto3.Session(profile_name=sys.argv[1]).client("sts")
print(json.dumps(sts.get_session_token(SerialNumber=sys.argv[2], TokenCode=sys.argv[3]), default=str))
"""


def first_session(s: Setup) -> None:
    """One GetSessionToken, as the AWS article's manual steps do (with the CLI when it is there): its JSON is
    `mfaenv export`'s input, and the session goes into a profile `work-session` for the CLI's rows."""
    if s.awscli:
        argv = [str(AWS_CLI), "sts", "get-session-token", "--profile", PROFILE, "--serial-number", s.user.serial,
                "--token-code", "199999", "--endpoint-url", s.moto.url]  # fmt: skip
    else:
        argv = [str(venv_python(MFAENV_VENV)), "-c", GET_SESSION, PROFILE, s.user.serial, "199999"]
    done = sh(argv, env=env_for(s, "awscli"))
    if done.returncode:
        raise SetupError(f"GetSessionToken for the set-up failed: {done.stderr.strip()[-1000:]}")
    s.session_json.write_text(done.stdout)
    s.session.update(json.loads(done.stdout)["Credentials"])
    with open(s.home("awscli") / ".aws" / "credentials", "a") as f:
        f.write(
            f"\n[{PROFILE}-session]\naws_access_key_id = {s.session['AccessKeyId']}\n"
            f"aws_secret_access_key = {s.session['SecretAccessKey']}\naws_session_token = {s.token}\n"
        )


def profiles_for(missed: list[Target], s: Setup, mode: Mode, tmp: Path) -> str:
    """Where the time of each mfaenv command that missed its target goes (imports, cProfile)."""
    picks: list[Command] = []
    for t in missed:
        if Path(t.cmd.argv[0]).name == "mfaenv" and t.cmd not in picks:
            picks.append(t.cmd)
    profiles = "\n".join(profile_command(c, venv_python(MFAENV_VENV), tmp) for c in picks)
    if any(t.ref.key.startswith("pass") for t in missed):
        say("timing single imports")
        profiles = (
            "### What single imports cost\n\n"
            + import_costs(venv_python(MFAENV_VENV), env_for(s, "mfaenv"), mode.rounds * 2)
            + "\n### Per command\n\n"
            + profiles
        )
    return profiles


def bench(
    args: argparse.Namespace, mode: Mode, started: float, tmp: Path, moto: Moto, policy: str, pyenv_mfaenv: Path | None
) -> int:
    user = make_user(moto)
    s = Setup(tmp, moto, user, {}, tmp / "session.json", {}, pyenv_mfaenv, PYENV_BIN / "python3", bool(policy))
    first_session(s)
    runner = Runner(moto)

    done: list[Scenario] = []
    skipped: list[tuple[str, str]] = []
    for key, build in SCENARIOS:
        if key not in args.only:
            continue
        try:
            sc = build(s)
        except Skip as e:
            say(f"skipping `{key}`: {e}")
            skipped.append((key, str(e)))
            continue
        for why in sc.missing:
            say(f"`{key}`: not measured: {why}")
        try:
            runner.scenario(f"{len(done) + 1}. {sc.title}", sc.cmds, mode)
        finally:
            if sc.teardown:
                sc.teardown()
        done.append(sc)

    prompt = prompt_rows(args.run_prompt, mode, tmp)
    found = targets(done)
    profiles = ""
    missed = [t for t in found if (args.profile_all or not t.ok) and t.install == "clean venv"]
    if missed and not mode.quick:  # timing decides what to profile: not in a sanity run
        say("profiling mfaenv: " + ("every target" if args.profile_all else "the commands that missed a target"))
        profiles = profiles_for(missed, s, mode, tmp)
    text = report(mode, time.monotonic() - started, s, policy, done, skipped, found, prompt, profiles)
    print(text)
    if args.output:
        args.output.write_text(text)
        say(f"wrote {args.output} in {time.monotonic() - started:.0f} s")
    else:
        say(f"done in {time.monotonic() - started:.0f} s (--quick: nothing written; --output FILE to keep it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
