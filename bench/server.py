#!/usr/bin/env python3
"""What `mfaenv exec --server` costs: one credentials request to its endpoint, and the memory it adds.

    python3 bench/server.py [--quick] [--output FILE]

Sets up moto's server on 127.0.0.1 and a free port, an IAM user with a key and an
MFA device in it, and a temporary HOME whose ~/.aws holds the keys as `[default]`
and a role profile `prod` on top. The day's login (one GetSessionToken) is done
first, so every run below starts from the cached MFA session, as a user's would.

Rows, each from a child running under `mfaenv exec --server [--profile P] --`:

- one credentials request on a kept-alive connection (how the SDKs' HTTP pools ask),
  and on a new connection each time; median and 90th percentile over many requests,
  every answer checked (200, the four fields, the session's key, an Expiration in the
  future); target: median under 2 ms on loopback for a cached session;
- the resident memory (VmRSS) of the mfaenv process beside the command, read from
  /proc/PPID/status after the requests: what --server adds, since plain `exec` replaces
  itself with the command and adds nothing. For the MFA profile the session comes from
  the cache (botocore is never imported); for the role, exec made one AssumeRole
  (botocore loaded), as every renewal does.

`--quick`: fewer requests and rounds, every check, no timing asserted, nothing written
unless `--output` names a file (CI runs it). Exit status: 0 every check held, 1 one failed,
2 set-up failed. Nothing leaves loopback (no AWS_* from the caller, proxies at a closed port).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS-server.md"
CODE = "918273"

CHILD = r"""
import datetime as dt, http.client, json, os, sys, time, urllib.parse
n, expected = int(sys.argv[1]), sys.argv[2]
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
headers = {"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}
def check(status, body):
    doc = json.loads(body)
    assert status == 200, (status, doc)
    assert set(doc) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, sorted(doc)
    assert expected in ("*", doc["AccessKeyId"]), doc["AccessKeyId"]
    end = dt.datetime.fromisoformat(doc["Expiration"].replace("Z", "+00:00"))
    assert end > dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15), doc["Expiration"]
    return doc["AccessKeyId"]
def timed(keep_alive):
    out, keys = [], set()
    kept = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    for _ in range(n):
        start = time.perf_counter()
        c = kept if keep_alive else http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        c.request("GET", url.path, headers=headers)
        r = c.getresponse()
        body = r.read()
        out.append(time.perf_counter() - start)
        if not keep_alive:
            c.close()  # as a client that does not pool would: the endpoint's threads end with it
        keys.add(check(r.status, body))
    kept.close()
    return out, keys
new, k2 = timed(False)
alive, k1 = timed(True)
rss = next(int(l.split()[1]) for l in open(f"/proc/{os.getppid()}/status") if l.startswith("VmRSS:"))
print(json.dumps({"alive": alive, "new": new, "rss_kb": rss, "keys": sorted(k1 | k2)}))
"""


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Failed(Exception):
    pass


def setup(tmp: Path) -> tuple[dict[str, str], subprocess.Popen[bytes], str]:
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if moto.poll() is not None or time.monotonic() > deadline:
                raise Failed("moto's server did not start") from None
            time.sleep(0.1)
    closed = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MFAENV_")) and "proxy" not in k.lower()}
    home = tmp / "home"
    (home / ".aws").mkdir(parents=True)
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        AWS_EC2_METADATA_DISABLED="true",
        HTTP_PROXY=f"http://127.0.0.1:{closed}",
        HTTPS_PROXY=f"http://127.0.0.1:{closed}",
        NO_PROXY="127.0.0.1,localhost",
        AWS_ENDPOINT_URL_STS=endpoint,
        AWS_ENDPOINT_URL_IAM=endpoint,
        PYTHONPATH=str(ROOT),
    )
    made = subprocess.run(
        [sys.executable, "-c", USER, endpoint], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    user = json.loads(made.stdout)
    creds = home / ".aws" / "credentials"
    creds.write_text(f"[default]\naws_access_key_id = {user['key']}\naws_secret_access_key = {user['secret']}\n")
    creds.chmod(0o600)
    (home / ".aws" / "config").write_text(
        f"[default]\nregion = eu-west-1\nmfa_serial = {user['serial']}\n\n"
        "[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/Admin\nsource_profile = default\n"
    )
    login = subprocess.run([*MFAENV, "login", "--token-code", CODE], capture_output=True, env=env, timeout=60)
    if login.returncode != 0:
        raise Failed(f"the day's login failed: {login.stderr.decode()[-500:]}")
    return env, moto, user["session_key"]


USER = """
import boto3, json, sys
s = boto3.Session(aws_access_key_id="AKIAADMINEXAMPLE0001", aws_secret_access_key="x", region_name="us-east-1")
iam = s.client("iam", endpoint_url=sys.argv[1])
iam.create_user(UserName="bench")
key = iam.create_access_key(UserName="bench")["AccessKey"]
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="bench")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="bench", SerialNumber=dev["SerialNumber"], AuthenticationCode1="123456",
                      AuthenticationCode2="654321")
sts = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                    region_name="us-east-1").client("sts", endpoint_url=sys.argv[1])
# moto hands every GetSessionToken the same fixed key: the one the endpoint must serve.
fixed = sts.get_session_token(SerialNumber=dev["SerialNumber"], TokenCode="111111")["Credentials"]["AccessKeyId"]
print(json.dumps({"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "serial": dev["SerialNumber"],
                  "session_key": fixed}))
"""

MFAENV = [sys.executable, "-m", "mfaenv"]


def run_once(env: dict[str, str], child: Path, n: int, profile: list[str], expected: str) -> dict[str, object]:
    if profile:  # the role's cached session goes, so each run makes its AssumeRole (and loads botocore)
        subprocess.run([*MFAENV, "clear", profile[-1]], capture_output=True, env=env, timeout=60, check=True)
    argv = [*MFAENV, "exec", "--server", *profile, "--", sys.executable, str(child), str(n), expected]
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    if p.returncode != 0:
        raise Failed(f"exec --server {' '.join(profile)} failed ({p.returncode}): {p.stderr[-1500:]}")
    out = json.loads(p.stdout)
    if len(out["keys"]) != 1:
        raise Failed(f"one run handed out {len(out['keys'])} keys; a cached session is one")
    return out


def ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if q != 50 else statistics.median(values) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, every check, no timing asserted")
    parser.add_argument("--output", type=Path, help=f"write the report here (default {RESULTS.name}; --quick: nowhere)")
    args = parser.parse_args(argv)
    n, rounds = (200, 2) if args.quick else (2000, 5)
    with tempfile.TemporaryDirectory(prefix="mfaenv-bench-server-") as t:
        tmp = Path(t)
        try:
            env, moto, session_key = setup(tmp)
        except (Failed, subprocess.SubprocessError, OSError, KeyError, ValueError) as e:
            say(f"set-up failed: {e}")
            return 2
        child = tmp / "child.py"
        child.write_text(CHILD)
        rows = []
        try:
            for label, profile, expected in (
                ("MFA profile, cached session", [], session_key),
                ("role profile (one AssumeRole at start)", ["--profile", "prod"], "*"),
            ):
                runs = [run_once(env, child, n, profile, expected) for _ in range(rounds)]
                alive = [x for r in runs for x in r["alive"]]  # type: ignore[union-attr]
                new = [x for r in runs for x in r["new"]]  # type: ignore[union-attr]
                rss = statistics.median(r["rss_kb"] for r in runs) / 1024  # type: ignore[misc]
                rows.append((label, ms(alive, 50), ms(alive, 90), ms(new, 50), ms(new, 90), rss))
                say(f"{label}: {len(alive)} + {len(new)} requests checked")
        except Failed as e:
            say(f"a check failed: {e}")
            return 1
        finally:
            moto.terminate()
            moto.wait(10)
    lines = [
        "# `mfaenv exec --server`: one credentials request, and the memory it adds",
        "",
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{rounds} runs x {n} requests per connection kind; `python3 bench/server.py{' --quick' if args.quick else ''}`; "
        f"load average at the end {os.getloadavg()[0]:.1f} (other work on the machine widens the p90).",
        "",
        "| session | kept-alive median | p90 | new connection median | p90 | mfaenv's RSS beside the command |",
        "|---|---|---|---|---|---|",
        *(f"| {r[0]} | {r[1]:.2f} ms | {r[2]:.2f} ms | {r[3]:.2f} ms | {r[4]:.2f} ms | {r[5]:.1f} MiB |" for r in rows),
        "",
        "Target: median under 2 ms on loopback for a cached session. Plain `mfaenv exec` replaces itself",
        "with the command (exec), so the RSS column is what `--server` adds. The role row's process has",
        "botocore loaded, as it has after any renewal.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    target = args.output or (None if args.quick else RESULTS)
    if target:
        target.write_text(text)
        say(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
