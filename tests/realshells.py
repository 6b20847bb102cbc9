"""Evaluate statements in real shells the way users do, then read the environment back.

Each shell runs `PRODUCER` (a command that prints statements: mfaenv itself,
or `cat FILE` for batches of generated values) through its own eval idiom,
then starts a child (`env -0`) whose environment is what any program the user
starts would see. A shell missing here is skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ENV_DUMP = "/usr/bin/env -0"

#: shell -> (binary, argv builder taking the evaluation script)
_SCRIPTS: dict[str, Callable[[str], str]] = {
    "bash": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "dash": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "sh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "zsh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "ksh": lambda p: f'eval "$({p})"; {ENV_DUMP}',
    "fish": lambda p: f"{p} | source; and {ENV_DUMP}",
    "tcsh": lambda p: f'eval "`{p}`"; {ENV_DUMP}',
    "csh": lambda p: f'eval "`{p}`"; {ENV_DUMP}',
    "nu": lambda p: f"{p} | from json | load-env; ^{ENV_DUMP}",
    "elvish": lambda p: f"eval ({p} | slurp); {ENV_DUMP}",
    # Not `exec($(...))`: xonsh's threaded capture of `$(...)` loses a fast
    # child's output now and then under load (xonsh/xonsh#1758, #6456), and
    # `cat` is fast. What is tested here is xonsh running our statements;
    # test_login runs the literal `exec($(mfaenv login))` idiom as well.
    "xonsh": lambda p: (
        f"import subprocess; exec(subprocess.run({p!r}, shell=True, stdout=subprocess.PIPE, encoding='utf-8', check=True).stdout); {ENV_DUMP}"
    ),
}

#: Strict flags in the manner of zoxide's shell tests.
ARGV: dict[str, list[str]] = {
    "bash": ["bash", "--noprofile", "--norc", "-e", "-u", "-o", "pipefail", "-c"],
    "dash": ["dash", "-e", "-u", "-c"],
    "sh": ["sh", "-e", "-u", "-c"],
    "zsh": ["zsh", "--no-rcs", "-e", "-u", "-o", "pipefail", "-c"],
    "ksh": ["ksh", "-e", "-u", "-c"],
    "fish": ["fish", "--no-config", "--private", "-c"],
    "tcsh": ["tcsh", "-f", "-e", "-c"],
    "csh": ["csh", "-f", "-e", "-c"],
    "nu": ["nu", "--no-config-file", "--no-std-lib", "-c"],
    "elvish": ["elvish", "-norc", "-c"],
    "xonsh": ["xonsh", "--no-rc", "--no-script-cache", "-c"],
}

SHELLS = tuple(_SCRIPTS)

#: Generated values that round-tripped, per shell, with no mismatch and no
#: executed payload (a failure stops the test); printed in the run's summary.
TRIED: dict[str, int] = {}


def require(shell: str) -> str:
    """The shell's binary; skip if missing, except in CI where missing is a failure."""
    path = shutil.which(ARGV[shell][0])
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{shell} is not installed, and CI must run every shell's tests (.ci/run installs it)")
        pytest.skip(f"{shell} is not installed")
    return path


def evaluate(shell: str, producer: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """Run `producer`'s output through `shell`'s eval idiom; the child's environment and the shell's stderr."""
    require(shell)
    argv = [*ARGV[shell], _SCRIPTS[shell](producer)]
    p = subprocess.run(
        argv,
        capture_output=True,
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        timeout=120,
        start_new_session=True,
    )
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, f"{shell} exited {p.returncode}: {err[-3000:]}"
    dumped = {}
    for entry in p.stdout.split(b"\0"):
        if b"=" in entry:
            k, _, v = entry.partition(b"=")
            dumped[k.decode()] = v.decode("utf-8", "surrogateescape")
    return dumped, err


# ---------------------------------------------------------------------------
# Locales. A shell that honours LC_ALL reads its input in the locale's charset,
# where a non-ASCII byte may take the next byte as its second half (GBK, Big5,
# Shift_JIS, GB18030) and Shift_JIS reads 0x5C as a yen sign. Debian ships
# only C.UTF-8 compiled, so the others are compiled with localedef into a
# folder of our own (scripts/setup.sh does it once; this builds what is missing).

#: Locale name -> (localedef input, charmap) for `localedef -i INPUT -f CHARMAP`.
LOCALES: dict[str, tuple[str, str]] = {
    "zh_CN.GBK": ("zh_CN", "GBK"),
    "zh_CN.GB18030": ("zh_CN", "GB18030"),
    "zh_TW.BIG5": ("zh_TW", "BIG5"),
    "ja_JP.SJIS": ("ja_JP", "SHIFT_JIS"),
    "en_US.UTF-8": ("en_US", "UTF-8"),
}
#: Where scripts/setup.sh compiles them.
LOCPATH = Path(__file__).resolve().parent.parent / ".locales"


def locale_env(name: str) -> dict[str, str]:
    """Variables that put a child process in locale `name`, compiling it into LOCPATH if missing."""
    source, charmap = LOCALES[name]
    if not (LOCPATH / name / "LC_CTYPE").exists():
        if shutil.which("localedef") is None:
            if os.environ.get("CI"):
                pytest.fail("localedef is missing (apt-get install locales); CI must run the locale tests")
            pytest.skip("localedef is missing (apt-get install locales)")
        LOCPATH.mkdir(exist_ok=True)
        # Exit 1 is a warning (Shift_JIS "is not ASCII compatible"), and the locale is written.
        p = subprocess.run(
            ["localedef", "--no-warnings=ascii", "-i", source, "-f", charmap, str(LOCPATH / name)],
            capture_output=True,
            text=True,
        )
        assert (LOCPATH / name / "LC_CTYPE").exists(), f"localedef {name}: {p.stderr[-500:]}"
    env = {"LOCPATH": str(LOCPATH), "LC_ALL": name, "LANG": name}
    got = subprocess.run(["locale", "charmap"], capture_output=True, text=True, env={**os.environ, **env})
    assert got.stdout.strip() == charmap and not got.stderr, f"locale {name} did not load: {got.stderr}"
    return env


# ---------------------------------------------------------------------------
# Text evaluated by the wrong shell. Each chunk runs on its own, in its own
# empty folder, so that one chunk's error cannot hide what the next would run
# and a file a payload leaves names its chunk. The driver prints a marker
# after each chunk; a shell that died half-way fails the count.

RAN = "MFAENV-RAN"

_DRIVERS: dict[str, str] = {
    # A subshell per chunk: a syntax error in eval ends dash (POSIX special builtin).
    "posix": f'for f in "$1"/*.txt; do (cd "${{f%.txt}}" && eval "$(cat "$f")"); echo {RAN}; done',
    "fish": f"for f in $argv[1]/*.txt; cd (string replace -r '\\.txt$' '' $f); cat $f | source; echo {RAN}; end",
    "tcsh": f'foreach f ($1:q/*.txt)\n  ( cd $f:r:q && eval "`cat $f:q`" )\n  echo {RAN}\nend\n',
    "elvish": f"use str; for f [$args[0]/*.txt] {{ cd (str:trim-suffix $f .txt); try {{ eval (slurp < $f) }} catch e {{ nop }}; echo {RAN} }}",
    # Both Python's exec (the documented idiom) and xonsh's execx, which
    # retries what Python cannot parse as a command line, so runs more.
    "xonsh": (
        "import glob, os\n"
        "$SUGGEST_COMMANDS = False\n"  # scanning PATH for near names after each miss costs seconds
        "for f in sorted(glob.glob(os.path.join($ARGS[1], '*.txt'))):\n"
        "    cd @(f[:-4])\n"
        "    text = open(f).read()\n"
        "    try:\n"
        "        exec(text, {})\n"
        "    except BaseException:\n"
        "        pass\n"
        "    try:\n"
        "        execx(text, glbs={})\n"
        "    except BaseException:\n"
        "        pass\n"
        f"    print('{RAN}')\n"
    ),
}
_DRIVER_ARGV: dict[str, list[str]] = {
    "bash": ["bash", "--noprofile", "--norc", "-c"],
    "dash": ["dash", "-c"],
    "zsh": ["zsh", "--no-rcs", "-c"],
    "ksh": ["ksh", "-c"],
    "fish": ["fish", "--no-config", "--private", "-c"],
    "elvish": ["elvish", "-norc", "-c"],
}


def run_each(shell: str, chunks: list[str], work: Path, env: dict[str, str] | None = None) -> list[str]:
    """Evaluate every chunk in `shell`, each apart in its own folder; the folders that are not empty after."""
    require(shell)
    work.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(chunks):
        (work / f"{i:05d}.txt").write_bytes(chunk.encode())
        (work / f"{i:05d}").mkdir()
    env = env if env is not None else dict(os.environ)
    if shell == "nu":
        _run_each_nu(work, env)
    else:
        driver = _DRIVERS.get(shell, _DRIVERS["posix"])
        if shell in ("tcsh", "xonsh"):
            (work / "driver").write_text(driver)
            argv = (
                ["tcsh", "-f", str(work / "driver"), str(work)]
                if shell == "tcsh"
                else ["xonsh", "--no-rc", "--no-script-cache", str(work / "driver"), str(work)]
            )
        else:
            argv = [*_DRIVER_ARGV[shell], driver, "driver", str(work)]
            if shell in ("fish", "elvish"):
                argv = [*_DRIVER_ARGV[shell], driver, str(work)]
        p = subprocess.run(
            argv, capture_output=True, env=env, cwd=work, timeout=600, stdin=subprocess.DEVNULL, start_new_session=True
        )
        ran = p.stdout.decode("utf-8", "replace").count(RAN)
        assert ran == len(chunks), (
            f"{shell} ran {ran} of {len(chunks)} chunks: {p.stderr.decode('utf-8', 'replace')[-2000:]}"
        )
    return [str(work / f"{i:05d}") for i in range(len(chunks)) if any((work / f"{i:05d}").iterdir())]


def _run_each_nu(work: Path, env: dict[str, str]) -> None:
    # nu cannot eval a string, and a script that does not parse runs nothing
    # at all; so nu-check says which chunks parse, and those run, each in
    # its folder inside a `try`, as one script (a nu start costs a quarter
    # second). If wrapping them stops the script parsing, each runs alone.
    nu = ["nu", "--no-config-file", "--no-std-lib"]
    check = "ls *.txt | sort-by name | each {|f| if (nu-check $f.name) { $f.name } } | to text"
    p = subprocess.run([*nu, "-c", check], capture_output=True, env=env, cwd=work, timeout=600)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    parsed = p.stdout.decode().split()
    script = work / "all.nu"
    script.write_text("".join(f"cd '{work / name[:-4]}'\ntry {{\n{(work / name).read_text()}\n}}\n" for name in parsed))
    ok = subprocess.run([*nu, "-c", f"nu-check '{script}'"], capture_output=True, env=env, timeout=120)
    runs = [(script, work)] if ok.stdout.strip() == b"true" else [(work / n, work / n[:-4]) for n in parsed]
    for path, cwd in runs:
        subprocess.run([*nu, str(path)], capture_output=True, env=env, cwd=cwd, timeout=600, stdin=subprocess.DEVNULL)
