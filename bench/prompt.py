#!/usr/bin/env python3
"""What the mfaenv prompt segment costs per prompt, in bash, zsh and fish.

Each round, one shell process loads the hook the way users do
(`eval "$(mfaenv init bash)"`, `mfaenv init fish | source`), then times a loop
of N calls of an empty function (the bare prompt) and a loop of N prompt-hook
calls. Several rounds, each a new process, the segments taking turns. bash and
zsh read their own clock ($EPOCHREALTIME); fish has none, so the shell prints
a marker line around each loop and this script timestamps the markers.

Then strace counts the processes forked per prompt: (forks of the hook loop -
forks of the baseline loop) / K, so the forks of loading the hook cancel out.
A deliberately naive `$(date +%s)` segment shows that the count is real.

    python3 bench/prompt.py [--quick] [--mfaenv PATH] [--shells bash,zsh,fish] [--output FILE]

The segment each loop computed is checked against the measured mfaenv's own
word for the time left (`mfaenv.status.span`, asked of that install's Python),
so the check follows the project instead of keeping a copy of the format.
`--quick` runs every check with fewer iterations, asserts no timing (CI runs
it), and writes nothing unless `--output` names a file.

Exit status: 0 results sane, 1 a sanity check failed (forks or segment text
not as expected), 2 a shell, mfaenv or strace missing or unusable.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-prompt.md"
PROFILE = "work"
LIVE_LEFT = 11 * 3600 + 52 * 60 + 45  # reads `11h52m` for the first 45 s of a run
NEAR_LEFT = 4 * 60 + 45  # under the 15-minute warning: the coloured branch
WARN_LEFT = 15 * 60  # the hooks' default warning threshold (MFAENV_WARN unset)
FORK_TOLERANCE = 0.05  # forks/prompt; the init's forks may differ by one or two between runs


@dataclass(frozen=True)
class Mode:
    name: str
    n: int  # iterations per timed loop, bash and zsh
    n_fish: int  # fish is timed from outside, line by line: fewer prompts
    n_naive: int  # the naive segment forks too
    rounds: int
    k: int  # strace iterations, bash and zsh
    k_fork: int  # strace iterations for loops that fork (fish, naive)


FULL = Mode("full", n=20000, n_fish=1000, n_naive=1000, rounds=5, k=2000, k_fork=200)
QUICK = Mode("quick", n=2000, n_fish=200, n_naive=100, rounds=3, k=200, k_fork=50)


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    left: int | None  # seconds of session left; None: no session in the environment
    naive: bool = False


SEGMENTS = (
    Segment("live", "mfaenv, session 11h52m left", LIVE_LEFT),
    Segment("near", "mfaenv, session 4m left (warning colour)", NEAR_LEFT),
    Segment("none", "mfaenv, no session", None),
    Segment("naive", "naive `$(date +%s)` segment, 11h52m left", LIVE_LEFT, naive=True),
)


class Shell:
    """Writes the benchmark scripts in one shell's syntax."""

    name = ""
    argv: tuple[str, ...] = ()
    hook_call = ""
    bare_call = ""
    naive_call = ""
    segment_var = "MFAENV_PS1"

    def load(self, mfaenv: str) -> str:
        raise NotImplementedError

    def defs(self) -> str:
        raise NotImplementedError

    def prelude(self, counts: list[int]) -> str:
        return ""

    def loop(self, n: int, call: str) -> str:
        return f"for ((i = 0; i < {n}; i++)); do {call}; done"

    def mark(self) -> str:
        return 'printf "mark %s\\n" "$EPOCHREALTIME"'

    def show_segment(self) -> str:
        return f'printf "segment<%s>\\n" "${self.segment_var}"'

    def expected_forks(self, seg: Segment) -> float:
        return 1.0 if seg.naive else 0.0


class Bash(Shell):
    name = "bash"
    argv = ("bash", "--norc", "--noprofile", "-c")
    hook_call = "_mfaenv_prompt"
    bare_call = "_bench_bare"
    naive_call = "_bench_naive"

    def load(self, mfaenv: str) -> str:
        # Loaded as users do; then check it really installed itself in PROMPT_COMMAND.
        return (
            f'eval "$({mfaenv} init bash)"\n'
            'declare -F _mfaenv_prompt >/dev/null && [[ " ${PROMPT_COMMAND[*]} " == *_mfaenv_prompt* ]] '
            "|| { echo 'bench: the bash hook did not load' >&2; exit 97; }"
        )

    def defs(self) -> str:
        return (
            "_bench_bare() { :; }\n"
            '_bench_naive() { MFAENV_PS1="aws:${MFAENV_PROFILE} $(( (MFAENV_EXPIRES - $(date +%s)) / 60 ))m"; }'
        )


class Zsh(Shell):
    name = "zsh"
    argv = ("zsh", "-f", "-c")
    hook_call = "_mfaenv_prompt"
    bare_call = "_bench_bare"
    naive_call = "_bench_naive"

    def load(self, mfaenv: str) -> str:
        # The hook loads only EPOCHSECONDS from zsh/datetime; the clock is added after, not before.
        return (
            f'eval "$({mfaenv} init zsh)"\n'
            "(( ${+functions[_mfaenv_prompt]} && ${precmd_functions[(Ie)_mfaenv_prompt]} )) "
            "|| { echo 'bench: the zsh hook did not load' >&2; exit 97; }\n"
            "zmodload -F zsh/datetime +p:EPOCHREALTIME"
        )

    def defs(self) -> str:
        return (
            "_bench_bare() { : }\n"
            '_bench_naive() { MFAENV_PS1="aws:${MFAENV_PROFILE} $(( (MFAENV_EXPIRES - $(date +%s)) / 60 ))m" }'
        )


class Fish(Shell):
    name = "fish"
    argv = ("fish", "--no-config", "-c")
    # A real prompt emits fish_prompt, then runs the prompt in a command substitution.
    # The baseline does the same with an event nobody listens to and an empty function.
    hook_call = "emit fish_prompt; set -g _bench_seg (mfaenv_prompt)"
    bare_call = "emit _bench_nobody; set -g _bench_seg (_bench_bare)"
    naive_call = "emit _bench_nobody; set -g _bench_seg (_bench_naive)"
    segment_var = "_bench_seg"

    def load(self, mfaenv: str) -> str:
        return (
            f"{mfaenv} init fish | source\n"
            "functions -q mfaenv_prompt _mfaenv_on_prompt; "
            "or begin; echo 'bench: the fish hook did not load' >&2; exit 97; end"
        )

    def defs(self) -> str:
        return (
            "function _bench_bare; end\n"
            "function _bench_naive\n"
            "    set -l now (date +%s)\n"
            "    printf 'aws:%s %dm' $MFAENV_PROFILE (math --scale=0 \"($MFAENV_EXPIRES - $now) / 60\")\n"
            "end"
        )

    def prelude(self, counts: list[int]) -> str:
        # fish loops over a list; `seq` forks, so build the lists before any timed loop.
        return "\n".join(f"set -g _bench_n{n} (seq {n})" for n in sorted(set(counts)))

    def loop(self, n: int, call: str) -> str:
        return f"for i in $_bench_n{n}; {call}; end"

    def mark(self) -> str:
        return "echo mark"  # no clock in fish: this script timestamps the line

    def expected_forks(self, seg: Segment) -> float:
        # The hook reads the clock with `path mtime --relative` (fish 3.5+), a builtin:
        # no `date` per prompt any more, session or not.
        return 0.0


SHELLS: dict[str, Shell] = {s.name: s for s in (Bash(), Zsh(), Fish())}


@dataclass
class Timing:
    hook_us: list[float]  # µs per prompt, one per round
    bare_us: list[float]
    segment: str


@dataclass
class Forks:
    k: int
    hook_total: int
    bare_total: int
    execs: Counter[str] = field(default_factory=Counter)  # only filled when the count is off

    @property
    def per_prompt(self) -> float:
        return (self.hook_total - self.bare_total) / self.k


@dataclass
class Row:
    shell: str
    seg: Segment
    timing: Timing
    forks: Forks
    expected_forks: float
    problems: list[str]


def fail(message: str, code: int = 2) -> NoReturn:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(code)


def session_env(seg: Segment) -> tuple[dict[str, str], int | None]:
    """The user's environment minus anything that would change the hook's path or load rc files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MFAENV_")}
    for name in ("NO_COLOR", "BASH_ENV", "ENV", "PROMPT_COMMAND"):
        env.pop(name, None)
    env["TERM"] = "xterm-256color"  # with TERM=dumb or none, fish's set_color prints no colour
    expires = None
    if seg.left is not None:
        expires = int(time.time()) + seg.left
        env.update(MFAENV_PROFILE=PROFILE, MFAENV_EXPIRES=str(expires))
    return env, expires


def script(shell: Shell, mfaenv: str, body: str, counts: list[int]) -> str:
    return "\n".join(filter(None, (shell.load(mfaenv), shell.defs(), shell.prelude(counts), body))) + "\n"


def timing_script(shell: Shell, mfaenv: str, seg: Segment, n: int) -> str:
    call = shell.naive_call if seg.naive else shell.hook_call
    warm = min(n, 500)  # first calls pay for parsing and allocation; not what a prompt costs
    timed = (shell.mark(), shell.loop(n, shell.bare_call), shell.mark(), shell.loop(n, call), shell.mark())
    body = "\n".join((shell.loop(warm, shell.bare_call), shell.loop(warm, call), *timed, shell.show_segment()))
    return script(shell, mfaenv, body, [warm, n])


def run_round(shell: Shell, mfaenv: str, seg: Segment, n: int, spans: Spans) -> tuple[float, float, str]:
    """One shell process: N bare prompts, then N hook prompts; µs per prompt of each, and the segment."""
    env, expires = session_env(seg)
    text = timing_script(shell, mfaenv, seg, n)
    # Unbuffered, line by line: for fish the read time of each marker is the clock.
    with subprocess.Popen([*shell.argv, text], env=env, stdout=subprocess.PIPE, bufsize=0) as proc:
        assert proc.stdout is not None
        marks: list[Decimal] = []
        segment = None
        for raw in iter(proc.stdout.readline, b""):
            now = Decimal(time.perf_counter_ns()) / 1000
            line = raw.decode().rstrip("\n")
            if line.startswith("mark"):
                clock = line[4:].strip().replace(",", ".")  # a locale may write a comma
                marks.append(Decimal(clock) * 1_000_000 if clock else now)
            elif line.startswith("segment<"):
                segment = line[len("segment<") : -1]
    if proc.returncode or segment is None or len(marks) != 3:
        fail(f"{shell.name} {seg.key}: the timing run failed (exit {proc.returncode})")
    problems = check_segment(seg, segment, expires, spans)
    if problems:
        fail(f"{shell.name} {seg.key}: {'; '.join(problems)}", 1)
    return float(marks[2] - marks[1]) / n, float(marks[1] - marks[0]) / n, plain(segment)


def strace_count(shell: Shell, env: dict[str, str], text: str, trace: str) -> list[str]:
    with tempfile.NamedTemporaryFile(prefix="bench-strace-", suffix=".txt") as out:
        argv = ["strace", "-f", "-qq", "-e", f"trace={trace}", "-o", out.name, *shell.argv, text]
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False)
        if done.returncode:
            fail(f"{shell.name}: the traced run failed (exit {done.returncode}): {shlex.join(argv[:8])} ...")
        return Path(out.name).read_text(errors="replace").splitlines()


FORK_LINE = re.compile(r"^(?:\d+\s+)?(?:clone3?|v?fork)\(")  # `<... clone resumed>` lines do not match
EXEC_LINE = re.compile(r'^(?:\d+\s+)?execve\("([^"]*)"')


def count_forks(lines: list[str]) -> int:
    # Threads are not processes: Python (mfaenv init) may start some.
    return sum(1 for ln in lines if FORK_LINE.match(ln) and "CLONE_THREAD" not in ln)


def run_forks(shell: Shell, mfaenv: str, seg: Segment, k: int, expected: float) -> Forks:
    env, _ = session_env(seg)
    call = shell.naive_call if seg.naive else shell.hook_call
    hook = script(shell, mfaenv, shell.loop(k, call), [k])
    bare = script(shell, mfaenv, shell.loop(k, shell.bare_call), [k])
    trace = "fork,vfork,clone,clone3"
    forks = Forks(
        k, count_forks(strace_count(shell, env, hook, trace)), count_forks(strace_count(shell, env, bare, trace))
    )
    if abs(forks.per_prompt - expected) > FORK_TOLERANCE:
        forks.execs = exec_diff(shell, env, hook, bare)
    return forks


def exec_diff(shell: Shell, env: dict[str, str], hook: str, bare: str) -> Counter[str]:
    """Which programs the hook loop ran that the baseline did not: where the forks go."""
    trace = "fork,vfork,clone,clone3,execve"

    def execs(text: str) -> Counter[str]:
        return Counter(m.group(1) for ln in strace_count(shell, env, text, trace) if (m := EXEC_LINE.match(ln)))

    diff = execs(hook)
    diff.subtract(execs(bare))
    return Counter({prog: n for prog, n in diff.items() if n > 0})


ESCAPES = re.compile(r"\x1b\[[0-9;]*m|\x1b\(B|[\x01\x02]|%F\{\w+\}|%f")


def plain(segment: str) -> str:
    """The segment as the user reads it: without colour escapes (ANSI, readline's \\001/\\002, zsh %F)."""
    return ESCAPES.sub("", segment)


class Spans:
    """How the measured mfaenv writes a time left (`11h52m`), asked of its own Python: `mfaenv.status.span`."""

    CODE = "import json, sys\nfrom mfaenv.status import span\nprint(json.dumps([span(int(a)) for a in sys.argv[1:]]))"

    def __init__(self, mfaenv: str) -> None:
        self.python = self.interpreter(mfaenv)
        self.known: dict[int, str] = {}

    @staticmethod
    def interpreter(mfaenv: str) -> str:
        """The Python on the console script's `#!` line (pip's and pipx's scripts have one)."""
        exe = shutil.which(shlex.split(mfaenv)[0]) or ""
        try:
            with open(exe, "rb") as f:
                first = f.readline(4096).decode(errors="replace")
        except OSError:
            first = ""
        words = first[2:].split() if first.startswith("#!") else []
        if not words or "python" not in Path(words[-1]).name:
            fail(f"cannot tell which Python runs {exe or mfaenv} (no python on its #! line)")
        return words[-1]

    def __call__(self, seconds: range) -> set[str]:
        if need := [s for s in seconds if s not in self.known]:
            done = subprocess.run(
                [self.python, "-c", self.CODE, *map(str, need)], capture_output=True, text=True, check=False
            )
            if done.returncode:
                fail(f"could not ask mfaenv how it writes the time left (mfaenv.status.span): {done.stderr[-300:]}")
            self.known.update(zip(need, json.loads(done.stdout)))
        return {self.known[s] for s in seconds}


def check_segment(seg: Segment, segment: str, expires: int | None, spans: Spans) -> list[str]:
    """The loop must have computed the real segment, or its timing means nothing.

    Expected: the profile, and the time left as mfaenv writes it for some second between
    the session's start and now (the loop ran for a while), as a word of the segment.
    """
    text = plain(segment)
    if expires is None or seg.left is None:
        return [] if text == "" else [f"expected no segment, got {text!r}"]
    if seg.naive:
        return [] if text.startswith(f"aws:{PROFILE} ") else [f"naive segment reads {text!r}"]
    left_now = expires - int(time.time())
    allowed = spans(range(max(left_now, 1), seg.left + 1))
    words = text.split()
    if PROFILE not in text or not allowed & set(words):
        problems = [f"segment reads {text!r}: expected profile {PROFILE!r} and one of {sorted(allowed)}"]
    else:
        problems = []
    coloured = segment != text
    if coloured != (seg.left < WARN_LEFT):
        problems.append(f"colour {'present' if coloured else 'missing'} in {segment!r}")
    return problems


def iterations(shell: Shell, seg: Segment, mode: Mode) -> int:
    if seg.naive:
        return mode.n_naive
    return mode.n_fish if shell.name == "fish" else mode.n


def measure(shell: Shell, mfaenv: str, mode: Mode, spans: Spans) -> list[Row]:
    # Each round is a fresh process: speed differs more between processes than
    # between rounds in one. Segments take turns so a slow spell hits them all.
    timings = {seg.key: Timing([], [], "") for seg in SEGMENTS}
    for r in range(mode.rounds):
        print(f"  {shell.name}: timing round {r + 1}/{mode.rounds}", file=sys.stderr, flush=True)
        for seg in SEGMENTS:
            hook, bare, segment = run_round(shell, mfaenv, seg, iterations(shell, seg, mode), spans)
            t = timings[seg.key]
            t.hook_us.append(hook)
            t.bare_us.append(bare)
            t.segment = segment
    rows = []
    print(f"  {shell.name}: counting forks", file=sys.stderr, flush=True)
    for seg in SEGMENTS:
        expected = shell.expected_forks(seg)
        k = mode.k_fork if seg.naive or shell.name == "fish" else mode.k
        forks = run_forks(shell, mfaenv, seg, k, expected)
        rows.append(
            Row(shell.name, seg, timings[seg.key], forks, expected, fork_problems(shell, mfaenv, seg, forks, expected))
        )
    return rows


def fork_problems(shell: Shell, mfaenv: str, seg: Segment, forks: Forks, expected: float) -> list[str]:
    got = forks.per_prompt
    if seg.naive and got >= expected - FORK_TOLERANCE:
        return []  # a naive segment may fork more than once; at least one is the point
    if abs(got - expected) <= FORK_TOLERANCE:
        return []
    where = ", ".join(f"{prog} x{n}" for prog, n in forks.execs.most_common()) or "no exec: a subshell fork"
    lines = "; ".join(suspect_lines(shell, mfaenv, forks.execs))
    return [
        f"{shell.name} {seg.key}: {got:.2f} forks/prompt, expected {expected:g}; extra programs run: {where}"
        + (f"; hook lines: {lines}" if lines else "")
    ]


def suspect_lines(shell: Shell, mfaenv: str, execs: Counter[str]) -> list[str]:
    """Lines of `mfaenv init SHELL` that name a program the loop ran, else that substitute a command."""
    hook = subprocess.run([*shlex.split(mfaenv), "init", shell.name], capture_output=True, text=True, check=False)
    names = sorted({Path(prog).name for prog in execs})
    # A program's name points at its line; with no exec, the fork is a subshell: `$(...)` or backquotes.
    words = "|".join(rf"\b{re.escape(n)}\b" for n in names) or r"\$\((?!\()|`"
    pattern = re.compile(words)
    return [
        f"{no}: `{line.strip()}`"
        for no, line in enumerate(hook.stdout.splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]


def fmt_us(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"


def table(rows: list[Row]) -> str:
    head = (
        "| shell | segment | shown | µs/prompt median [min-max] | baseline µs median [min-max] "
        "| difference µs (median) | forks/prompt |\n|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in rows:
        t = row.timing
        diff = statistics.median(h - b for h, b in zip(t.hook_us, t.bare_us))
        shown = f"`{t.segment}`" if t.segment else "(empty)"
        mark = "" if not row.problems else " **(!)**"
        lines.append(
            f"| {row.shell} | {row.seg.label} | {shown} | {fmt_us(t.hook_us)} | {fmt_us(t.bare_us)} "
            f"| {diff:+.1f} | {row.forks.per_prompt:.2f}{mark} |"
        )
    return head + "\n".join(lines) + "\n"


def fork_details(rows: list[Row]) -> str:
    head = (
        "| shell | segment | K | forks, hook run | forks, baseline run | per prompt | expected |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r.shell} | {r.seg.key} | {r.forks.k} | {r.forks.hook_total} | {r.forks.bare_total} "
        f"| {r.forks.per_prompt:.2f} | {'>= ' if r.seg.naive else ''}{r.expected_forks:g} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def first_line(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else f"{argv[0]}: (no version)"


def machine() -> str:
    nproc = first_line(["nproc"])
    return f"`uname -m` {platform.machine()}, nproc {nproc}, Linux {platform.release()}"


def versions(shells: list[Shell], mfaenv: str) -> list[str]:
    found = [first_line([s.name, "--version"]) for s in shells]
    return [*found, first_line(["strace", "-V"]), first_line([*shlex.split(mfaenv), "--version"])]


def report(rows: list[Row], shells: list[Shell], mfaenv: str, mode: Mode, seconds: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python3 bench/prompt.py" + (" --quick" if mode is QUICK else "")
    problems = [p for r in rows for p in r.problems]
    return (
        f"# Prompt segment: cost per prompt\n\n"
        f"`{cmd}` on {when}, {seconds:.0f} s.\n\n"
        f"- Machine: {machine()}\n"
        f"- Versions: {'; '.join(versions(shells, mfaenv))}\n"
        f"- Timed loops: bash/zsh {mode.n} prompts, fish {mode.n_fish}, naive {mode.n_naive}; "
        f"{mode.rounds} rounds, each a new shell process timing the baseline loop then the hook loop; "
        f"bash/zsh clock `$EPOCHREALTIME`, fish timed from outside (marker lines).\n"
        f"- Forks: strace over K prompts, (hook run - baseline run) / K; "
        f"each run loads the hook with `mfaenv init`, so its forks cancel out.\n\n"
        f"{table(rows)}\n"
        f"baseline = the same loop calling an empty function (fish: `emit` of an event nobody "
        f"handles, and the empty function in a command substitution, as fish runs a prompt).\n"
        f"difference = median over rounds of (hook - baseline).\n\n"
        f"## Raw fork counts\n\n{fork_details(rows)}\n"
        + ("## Problems\n\n" + "\n".join(f"- {p}" for p in problems) + "\n" if problems else "")
    )


def ensure_strace() -> None:
    if not shutil.which("strace"):
        if os.geteuid() != 0:
            fail("strace is missing: install it with `sudo apt-get install strace`, then rerun")
        print("bench: installing strace with apt-get", file=sys.stderr)
        install = ["apt-get", "install", "-y", "-q", "strace"]
        if subprocess.run(install, check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], check=False)
            if subprocess.run(install, check=False).returncode:
                fail("could not install strace with apt-get")
    probe = subprocess.run(["strace", "-qq", "-e", "trace=clone", "-o", os.devnull, "true"], check=False)
    if probe.returncode:
        fail("strace cannot trace here (ptrace not permitted? in a container, add --cap-add SYS_PTRACE)")


def resolve_mfaenv(path: str | None) -> str:
    """The text the scripts call: literally `mfaenv` as in the README, or the quoted override."""
    if path is None:
        if not shutil.which("mfaenv"):
            fail("mfaenv is not on PATH (pip install -e .), or pass --mfaenv PATH")
        return "mfaenv"
    if not (os.access(path, os.X_OK) or shutil.which(path)):
        fail(f"--mfaenv {path}: not an executable")
    # One quoting fits all three shells: no quote or backslash, or fish would read it differently.
    if re.search(r"['\\]", path):
        fail(f"--mfaenv {path}: a path with a quote or backslash is not supported")
    return f"'{path}'"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations and rounds (a sanity run)")
    parser.add_argument("--mfaenv", metavar="PATH", help="the mfaenv to load hooks from (default: mfaenv on PATH)")
    parser.add_argument("--shells", default="bash,zsh,fish", help="comma-separated subset of bash,zsh,fish")
    parser.add_argument(
        "--output", metavar="FILE", type=Path, help=f"write the report here (default: {RESULTS.name}; --quick: nowhere)"
    )
    args = parser.parse_args(argv)
    if args.output is None and not args.quick:
        args.output = RESULTS
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    names = [s.strip() for s in args.shells.split(",") if s.strip()]
    if unknown := [n for n in names if n not in SHELLS]:
        fail(f"unknown shell(s): {', '.join(unknown)}")
    if missing := [n for n in names if not shutil.which(n)]:
        fail(f"shell(s) not installed: {', '.join(missing)} (apt-get install {' '.join(missing)})")
    mfaenv = resolve_mfaenv(args.mfaenv)
    ensure_strace()
    mode = QUICK if args.quick else FULL
    shells = [SHELLS[n] for n in names]
    spans = Spans(mfaenv)
    rows = [row for shell in shells for row in measure(shell, mfaenv, mode, spans)]
    text = report(rows, shells, mfaenv, mode, time.monotonic() - started)
    print(text)
    if args.output:
        args.output.write_text(text)
        print(f"bench: wrote {args.output} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    else:
        print(f"bench: done in {time.monotonic() - started:.0f} s (--quick: nothing written)", file=sys.stderr)
    return 1 if any(r.problems for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
