#!/usr/bin/env python3
"""What mfaenv's cached paths cost with 10, 1,000 and 5,000 profiles, side by side (issue 23).

    python3 bench/scale.py [--quick] [--rounds N] [--output FILE]

Set-up as bench/peers.py (imported from it): mfaenv installed from this checkout
into a clean venv, awsume from PyPI beside it, moto's server on loopback, an IAM
user with a key, an MFA device and a role. Then one HOME per size, each with the
user's profile `work`, the role profile `bench-role`, and N-2 more role profiles
(`[profile acct00042-admin]`, as `granted sso populate` writes them): a 5,000
profile config is about 560 KB. In each HOME, untimed, a role login makes mfaenv's
cache hold the MFA session and the role session, and awsume's its MFA session.

Timed, each round every command at every size, the order rotated every round
(pairs in one run, so a loaded machine slows all sizes alike):
- mfaenv: the cached role login, `credential-process`, exec's start (`exec -- true`),
  status, list, TAB completion of a profile through click's bash_complete protocol;
- botocore's own parse of the same files (Session.full_config), the time inside one
  process, as every SDK call through a profile pays it;
- awsume's cached role (`awsumepy bench-role`: its MFA session from its cache, one AssumeRole).

Every run is validated (exit status, output as a user's tools read it); a failed
check stops the run. The figure per command is the median wall time per size and
the ratio 5,000 / 10 (and 1,000 / 10). `--quick`: 2 rounds, every check, asserts no
timing, writes nothing unless --output names a file (CI runs it).

Exit status: 0 every run validated, 1 a run failed validation, 2 set-up failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import peers  # noqa: E402 - bench/peers.py: the set-up and the runner

RESULTS = HERE / "RESULTS-scale.md"
SIZES = (10, 1000, 5000)
ROLE = peers.ROLE

BOTOCORE_PARSE = """\
import json, time, botocore.session
s = botocore.session.Session(profile="bench-role")
t = time.perf_counter()
profiles = s.full_config["profiles"]
print(json.dumps({"ms": (time.perf_counter() - t) * 1000, "profiles": len(profiles)}))
"""


def write_profiles(home: Path, count: int) -> None:
    """`count` profiles in all: peers' work and bench-role, and role profiles to fill."""
    config = home / ".aws" / "config"
    lines = [config.read_text()]
    for i in range(count - 2):
        lines.append(
            f"\n[profile acct{i:05d}-admin]\nrole_arn = arn:aws:iam::{100000000000 + i}:role/AdministratorAccess\n"
            f"source_profile = {peers.PROFILE}\nregion = eu-west-1\nsso_start_hint = generated\n"
        )
    config.write_text("".join(lines))


def json_has(key: str) -> peers.Check:
    def check(code: int, out: str, err: str) -> str | None:
        if code:
            return f"exit {code}: {err.strip()[-300:]}"
        try:
            doc = json.loads(out)
        except ValueError:
            return f"not JSON: {out[:100]!r}"
        return None if doc.get(key) else f"no {key} in {out[:200]!r}"

    return check


def parse_count(count: int) -> peers.Check:
    def check(code: int, out: str, err: str) -> str | None:
        if code:
            return f"exit {code}: {err.strip()[-300:]}"
        got = json.loads(out).get("profiles")
        return None if got == count else f"botocore read {got} profiles, expected {count}"

    return check


def commands(moto: peers.Moto, home: Path, count: int, parse_script: Path) -> list[peers.Command]:
    env = peers.clean_base_env(moto, home)
    mfaenv = str(peers.MFAENV)
    done = peers.sh([mfaenv, "login", "--profile", ROLE, "--shell", "bash"], env=env)
    session = {}
    for line in done.stdout.splitlines():  # `export K=V;` from the cached role login, for status and exec
        if line.startswith("export ") and "=" in line:
            k, v = line[7:].rstrip(";").split("=", 1)
            session[k] = v.strip("'")  # STS values hold no quote
    if "AWS_ACCESS_KEY_ID" not in session:
        raise peers.SetupError(f"the cached role login printed no session: {done.stderr.strip()[-300:]}")
    comp = {**env, "_MFAENV_COMPLETE": "bash_complete", "COMP_WORDS": "mfaenv login --profile acct0000", "COMP_CWORD": "3"}
    want_comp = "plain,acct00000-admin" if count > 2 else "plain,"
    size = f"{count}"
    return [
        peers.Command(
            f"login-{size}", "mfaenv login (cached role)", f"mfaenv login --profile {ROLE} --shell bash",
            [mfaenv, "login", "--profile", ROLE, "--shell", "bash"], env,
            peers.expect(out=("export AWS_ACCESS_KEY_ID='ASIA", f"export MFAENV_PROFILE='{ROLE}';")),
        ),
        peers.Command(
            f"process-{size}", "mfaenv credential-process", f"mfaenv credential-process --profile {ROLE}",
            [mfaenv, "credential-process", "--profile", ROLE], env, json_has("SessionToken"),
        ),
        peers.Command(
            f"exec-{size}", "mfaenv exec -- true", f"mfaenv exec --profile {ROLE} -- true",
            [mfaenv, "exec", "--profile", ROLE, "--", "true"], env, peers.expect(),
        ),
        peers.Command(
            f"status-{size}", "mfaenv status", "mfaenv status", [mfaenv, "status"], {**env, **session},
            peers.expect(out=(f"{ROLE}",)),
        ),
        peers.Command(
            f"list-{size}", "mfaenv list", "mfaenv list", [mfaenv, "list"], env, peers.expect(out=(ROLE, "work")),
        ),
        peers.Command(
            f"complete-{size}", "TAB completion (bash_complete)", "_MFAENV_COMPLETE=bash_complete mfaenv",
            [mfaenv], comp, peers.expect(out=(want_comp,) if count > 2 else ()),
        ),
        peers.Command(
            f"botocore-{size}", "botocore parse (in-process ms)", "Session.full_config",
            [str(peers.venv_python(peers.MFAENV_VENV)), str(parse_script)], env, parse_count(count),
        ),
        peers.Command(
            f"awsume-{size}", "awsume cached role", f"awsumepy {ROLE}",
            [str(peers.PEERS_VENV / "bin" / "awsumepy"), ROLE], env, peers.expect(out=("Awsume ASIA",)), sts_calls=1,
        ),
    ]  # fmt: skip


def measure(cmds: list[peers.Command], rounds: int) -> dict[str, dict[str, list[float]]]:
    """{"wall"|"cpu": {key: ms per run}}. Each command's three sizes run back to back, their order rotated."""
    times: dict[str, dict[str, list[float]]] = {"wall": {c.key: [] for c in cmds}, "cpu": {c.key: [] for c in cmds}}
    kinds = list(dict.fromkeys(c.key.rsplit("-", 1)[0] for c in cmds))
    by_key = {c.key: c for c in cmds}
    for r in range(rounds):
        for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
            sizes = SIZES[r % len(SIZES) :] + SIZES[: r % len(SIZES)]
            for size in sizes:
                cmd = by_key[f"{kind}-{size}"]
                sample, code, out, err = peers.spawn(cmd)
                problem = cmd.check(code, out, err)
                if problem:
                    raise peers.RunFailed(f"{cmd.key} ({cmd.label}): {problem}; stdout {out[:300]!r}; stderr {err[-300:]!r}")
                # botocore's row: its own in-process figure, not the interpreter's start.
                inner = json.loads(out)["ms"] if kind == "botocore" else None
                times["wall"][cmd.key].append(inner if inner is not None else sample.wall_ms)
                times["cpu"][cmd.key].append(inner if inner is not None else sample.cpu_ms)
    return times


def report(times: dict[str, dict[str, list[float]]], labels: dict[str, str], rounds: int, load: list[float]) -> str:
    kinds = list(dict.fromkeys(k.rsplit("-", 1)[0] for k in times["wall"]))
    out = [
        "# Scale: cached paths at 10, 1,000 and 5,000 profiles",
        "",
        f"`python3 bench/scale.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {rounds} rounds; "
        f"machine {platform.machine()}, nproc {os.cpu_count()}, load average {load[0]:.1f} at the start, "
        f"{load[-1]:.1f} at the end. Each command's three sizes run back to back (order rotated): the ratios "
        "are the figures. CPU time (the child's user + system, from wait4) moves less with the machine's load "
        "than wall time.",
        "",
        "| command | CPU ms: 10 | 1,000 | 5,000 | CPU 5,000 / 10 | wall ms: 10 | 5,000 | wall 5,000 / 10 | wall 1,000 / 10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        cpu = {n: statistics.median(times["cpu"][f"{kind}-{n}"]) for n in SIZES}
        wall = {n: statistics.median(times["wall"][f"{kind}-{n}"]) for n in SIZES}
        out.append(
            f"| {labels[kind]} | {cpu[10]:.1f} | {cpu[1000]:.1f} | {cpu[5000]:.1f} | {cpu[5000] / cpu[10]:.2f} | "
            f"{wall[10]:.1f} | {wall[5000]:.1f} | {wall[5000] / wall[10]:.2f} | {wall[1000] / wall[10]:.2f} |"
        )
    out += ["", "Medians per run. botocore: the parse inside one process (wall = CPU column: no start-up counted)."]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    mode = peers.QUICK if args.quick else peers.FULL
    rounds = args.rounds or (2 if args.quick else 11)
    load = [os.getloadavg()[0]]
    try:
        _, moto_python = peers.ensure_tools(mode)
    except peers.SetupError as e:
        peers.fail(str(e))
    with peers.workdir() as tmp:
        moto = peers.Moto(moto_python, tmp)
        try:
            user = peers.make_user(moto)
            parse_script = tmp / "botocore_parse.py"
            parse_script.write_text(BOTOCORE_PARSE)
            cmds: list[peers.Command] = []
            for count in SIZES:
                home = tmp / f"home-{count}"
                peers.write_home(home, user, "standard")
                write_profiles(home, count)
                env = peers.clean_base_env(moto, home)
                for argv in (
                    [str(peers.MFAENV), "login", "--profile", ROLE, "--token-code", peers.CODE, "--shell", "bash"],
                    [str(peers.PEERS_VENV / "bin" / "awsumepy"), peers.PROFILE, "-r", "--mfa-token", peers.CODE],
                ):
                    cmd = peers.Command("setup", "setup", " ".join(argv), argv, env, peers.expect())
                    _, code, _, err = peers.spawn(cmd)
                    if code:
                        raise peers.SetupError(f"`{' '.join(argv)}` failed: {err.strip()[-500:]}")
                time.sleep(2.1)  # past the index's racy window: the first timed run writes it, as a user's would
                cmds += commands(moto, home, count, parse_script)
            peers.say(f"{len(cmds)} commands x {rounds} rounds")
            times = measure(cmds, rounds)
        except peers.SetupError as e:
            peers.fail(str(e))
        except peers.RunFailed as e:
            peers.say(f"a run failed validation: {e}")
            return 1
        finally:
            moto.stop()
    load.append(os.getloadavg()[0])
    labels = {c.key.rsplit("-", 1)[0]: c.tool for c in cmds}
    text = report(times, labels, rounds, load)
    print(text)
    target = Path(args.output) if args.output else (None if args.quick else RESULTS)
    if target:
        target.write_text(text)
    peers.say("every run validated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
