"""Every fenced block of README.md and docs/*.md runs, as pasted, in the shell it is written for.

The convention, by the block's info string (the words after the opening fence); docs/tests.md
says the same for readers:

- `sh` (run in dash), `bash`, `zsh`, `fish`, `tcsh`, `nu`, `elvish`, `xonsh`, `python` (the
  suite's own, which has boto3): a script, run in that shell (sh, bash, zsh and tcsh with -e,
  so every line must succeed).
- `LANG rc`: a line for the shell's rc file. It is written there and the shell is started
  interactively with it; it must load without an error, then `mfaenv login` and `mfaenv status`
  run through the hook it loaded (or the shell completes `mfaenv`, for a completion line).
- `powershell` (or `pwsh`, `ps1`), `bat` (or `batch`, `cmd`): no binary here. The block, and
  what each `mfaenv` command in it prints for that shell, must parse with the real grammars
  (tree-sitter-powershell, tree-sitter-batch), as tests/test_windows_shells.py checks them.
- `console`: a transcript; its `$ ` lines are commands, run in bash in order; the rest is
  sample output, not compared.
- `text`, `ini`, `toml`, `json`, `yaml`: files or output, never run.
- `LANG norun`: cannot run here; the first line must be a comment saying why
  (`# not run by the tests: ...`).
- Anything else fails: a new page's blocks must say what they are.

Each block gets a HOME prepared as the docs' examples assume (profiles default, work, prod with
long-term keys of real IAM users in moto; the roles prod-admin and prod-readonly; work-mfa and
prod-admin-mfa with credential_process), a token command that prints a new code at each call,
and on PATH an `mfaenv` that records every failing exit (a pipe such as fish's
`mfaenv login | source` hides one) and an `aws` that points Debian's AWS CLI 2.9 (which ignores
AWS_ENDPOINT_URL_STS) at moto.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter_batch
import tree_sitter_powershell
from tree_sitter import Language, Parser

from tests.conftest import IamUser, make_user
from tests.realshells import require
from tests.secretservice import SecretService
from tests.test_console import Signin

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
AWS_CLI = "/usr/bin/aws"

RUN = {"sh", "bash", "zsh", "fish", "tcsh", "nu", "elvish", "xonsh", "python", "console"}
#: PowerShell and cmd, under the names Markdown knows them by.
PARSE = {
    "powershell": "powershell",
    "pwsh": "powershell",
    "ps1": "powershell",
    "bat": "cmd",
    "batch": "cmd",
    "cmd": "cmd",
}
NOT_CODE = {"text", "ini", "toml", "json", "yaml"}
NORUN_REASON = "not run by the tests:"


@dataclasses.dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence
    lang: str
    flags: tuple[str, ...]
    body: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}-{self.lang}" + "".join(f"-{f}" for f in self.flags)


def blocks(path: Path) -> list[Block]:
    found, lines = [], path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)(.*)$", lines[i])
        if not m:
            i += 1
            continue
        start, body = i, []
        i += 1
        while not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        found.append(Block(path, start + 1, m.group(1), tuple(m.group(2).split()), "\n".join(body) + "\n"))
        i += 1
    return found


ALL = [b for p in DOCS for b in blocks(p)]
CODE_BLOCKS = [b for b in ALL if b.lang not in NOT_CODE and "norun" not in b.flags]


def test_every_block_follows_the_convention() -> None:
    assert len(ALL) > 30, "the extractor found too few blocks"
    for b in ALL:
        assert b.lang in RUN | set(PARSE) | NOT_CODE, (
            f"{b.name}: unknown info string {b.lang!r} (see this file's docstring)"
        )
        assert set(b.flags) <= {"rc", "norun"}, f"{b.name}: unknown flag in {b.flags}"
        if "norun" in b.flags:
            first = b.body.split("\n", 1)[0]
            assert first.lstrip("#:REM ").startswith(NORUN_REASON), f"{b.name}: a norun block must say why first"


# ---------------------------------------------------------------------------
# The prepared HOME


@dataclasses.dataclass
class Home:
    home: Path
    work: Path  # the folder the block runs in
    env: dict[str, str]
    failures: Path
    users: dict[str, IamUser]

    def failed(self) -> list[str]:
        return self.failures.read_text().splitlines() if self.failures.exists() else []


SHIM = '''#!{python}
"""mfaenv, recording each failing exit (status may say 10-12: that is its answer)."""
import sys
from mfaenv.cli.main import run
try:
    run()
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else 1
    allowed = (0, 10, 11, 12) if sys.argv[1:2] == ["status"] else (0,)
    if code not in allowed:
        with open({failures!r}, "a") as f:
            f.write(f"exit {{code}}: mfaenv {{' '.join(sys.argv[1:])}}\\n")
    raise
'''

TOKEN = """#!/bin/sh
# A new six-digit code at each call: moto accepts any, mfaenv refuses one it used already.
n=$(cat "{state}" 2>/dev/null || echo 200000)
n=$((n + 1))
echo "$n" > "{state}"
echo "Amazon Web Services:alice@work    $n"
"""


@pytest.fixture
def signin_url() -> Iterator[str]:
    """docs/console.md's commands sign in at tests/test_console.py's stand-in federation endpoint."""
    stand_in = Signin()
    threading.Thread(target=stand_in.server.serve_forever, daemon=True).start()
    yield stand_in.url
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def docs_home(
    moto_server: str,
    isolated: Path,
    tmp_path: Path,
    keyring: SecretService,
    monkeypatch: pytest.MonkeyPatch,
    signin_url: str,
) -> Home:
    users = {name: make_user(moto_server) for name in ("default", "work", "prod")}
    aws = isolated / ".aws"
    (aws / "credentials").write_text(
        "".join(
            f"[{n}]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n\n" for n, u in users.items()
        )
    )
    (aws / "credentials").chmod(0o600)
    config = "".join(
        f"[{'default' if n == 'default' else 'profile ' + n}]\nmfa_serial = {u.serial}\nregion = eu-west-1\n\n"
        for n, u in users.items()
    )
    config += (
        "[profile prod-admin]\nrole_arn = arn:aws:iam::222222222222:role/Admin\nsource_profile = work\n"
        "region = us-east-1\n\n"
        "[profile prod-readonly]\nrole_arn = arn:aws:iam::222222222222:role/ReadOnly\n"
        "source_profile = prod-admin\nregion = us-east-1\n\n"
        "[profile work-mfa]\ncredential_process = mfaenv credential-process --profile work\nregion = eu-west-1\n\n"
        "[profile prod-admin-mfa]\ncredential_process = mfaenv credential-process --profile prod-admin\n"
        "region = us-east-1\n"
    )
    (aws / "config").write_text(config)
    (isolated / ".config" / "nushell").mkdir(parents=True)
    (isolated / ".config" / "fish").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    failures = tmp_path / "mfaenv-failures"
    (bin_dir / "mfaenv").write_text(SHIM.format(python=sys.executable, failures=str(failures)))
    (bin_dir / "aws").write_text(f'#!/bin/sh\nexec {AWS_CLI} --endpoint-url {moto_server} "$@"\n')
    (bin_dir / "token").write_text(TOKEN.format(state=tmp_path / "token-state"))
    # The browser `mfaenv console` opens: keeps the URL in a private file, as a browser would take it.
    (bin_dir / "browser").write_text(f'#!/bin/sh\numask 077\nprintf "%s\\n" "$1" >>{tmp_path}/opened\n')
    for tool in ("mfaenv", "aws", "token", "browser"):
        (bin_dir / tool).chmod(0o755)
    env = dict(os.environ)
    env.pop("MFAENV_SHELL")  # detected, as for a user
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        AWS_ENDPOINT_URL_STS=moto_server,
        AWS_ENDPOINT_URL_IAM=moto_server,
        MFAENV_TOKEN_COMMAND=str(bin_dir / "token"),
        ZDOTDIR=str(isolated),
        AWS_ENDPOINT_URL_SIGNIN=signin_url,
        BROWSER=str(bin_dir / "browser"),
    )
    work = tmp_path / "work"
    work.mkdir()
    return Home(isolated, work, env, failures, users)


# ---------------------------------------------------------------------------
# Running a block

SCRIPT = {
    "sh": ["sh", "-e", "-c"],
    "bash": ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c"],
    "zsh": ["zsh", "--no-rcs", "-e", "-c"],
    "fish": ["fish", "--no-config", "-c"],
    "tcsh": ["tcsh", "-f", "-e", "-c"],
    "nu": ["nu", "--no-config-file", "-c"],
    "elvish": ["elvish", "-norc", "-c"],
    "xonsh": ["xonsh", "--no-rc", "--no-script-cache", "-c"],
    "python": [sys.executable, "-c"],  # the Python that has boto3 and mfaenv
}


def rc_run(lang: str, body: str, h: Home) -> list[str]:
    """Write `body` into the shell's rc file; the argv of an interactive shell that loads it and logs in."""
    if "_MFAENV_COMPLETE" not in body:  # the hook: then plain `mfaenv login` changes this shell
        then = {"nu": "mfaenv login; mfaenv status", "fish": "mfaenv login; and mfaenv status"}.get(
            lang, "mfaenv login && mfaenv status"
        )
    else:  # completion: then the shell completes mfaenv
        then = COMPLETES[lang]
    if lang == "bash":
        (h.home / ".bashrc").write_text(body)
        return ["bash", "-i", "-c", then]
    if lang == "zsh":
        (h.home / ".zshrc").write_text(body)
        return ["zsh", "-i", "-c", then]
    if lang == "fish":
        (h.home / ".config" / "fish" / "config.fish").write_text(body)
        return ["fish", "-i", "-c", then]
    if lang == "tcsh":
        (h.home / ".tcshrc").write_text(body)
        return ["tcsh", "-c", then]
    if lang == "nu":
        # As the block before it in docs/shells.md says: the hook file is saved once first.
        hook = subprocess.run(["mfaenv", "init", "nu"], capture_output=True, env=h.env, check=True).stdout
        (h.home / ".config" / "nushell" / "mfaenv.nu").write_bytes(hook)
        config = h.home / ".config" / "nushell" / "config.nu"
        config.write_text(body)
        return ["nu", "--config", str(config), "-c", then]
    raise AssertionError(f"no rc file for {lang}")


#: A command that fails unless the shell now completes mfaenv's subcommands.
COMPLETES = {
    "bash": "complete -p mfaenv",
    "zsh": "[[ -n ${_comps[mfaenv]-} ]]",
    "fish": "complete -C'mfaenv ' | string match -q 'login*'",
}


#: What an interactive shell without a terminal says whatever its rc file holds.
NO_TTY = re.compile(r"no job control|cannot set terminal process group|Inappropriate ioctl|^\s*$|can't access tty")


def run_block(b: Block, h: Home) -> None:
    if b.lang == "console":
        commands = [line[2:] for line in b.body.splitlines() if line.startswith("$ ")]
        assert commands, f"{b.name}: a console block without a `$ ` line"
        lang, body = "bash", "\n".join(commands) + "\n"
    else:
        lang, body = b.lang, b.body
    if lang != "python":
        require(lang)
    argv = rc_run(lang, body, h) if "rc" in b.flags else [*SCRIPT[lang], body]
    # xonsh 0.13's `$(...)` may lose a child's output under load (docs/shells.md says so, and
    # tests/test_login.py gives the same line three tries): a cut-short line is a SyntaxError.
    for _ in range(3 if lang == "xonsh" else 1):
        p = subprocess.run(
            argv,
            # `mfaenv add` without a terminal reads the key id and the secret from stdin, as typed.
            input=f"{h.users['work'].key_id}\n{h.users['work'].secret}\n".encode(),
            capture_output=True,
            cwd=h.work,
            env=h.env,
            timeout=180,
            start_new_session=True,
        )
        if p.returncode == 0:
            break
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, f"{b.name} exited {p.returncode}:\n{b.body}\nstderr: {err[-3000:]}"
    assert h.failed() == [], f"{b.name}: an mfaenv in it failed: {h.failed()}\nstderr: {err[-3000:]}"
    if "rc" in b.flags:
        noise = [line for line in err.splitlines() if not NO_TTY.search(line) and not line.startswith("mfaenv: ")]
        assert noise == [], f"{b.name}: the rc file said something on loading: {noise}"
        if "_MFAENV_COMPLETE" not in body:
            assert "left" in p.stdout.decode(), f"{b.name}: no session after the hook's login: {p.stdout!r}"


PS_PARSER = Parser(Language(tree_sitter_powershell.language()))
BATCH_PARSER = Parser(Language(tree_sitter_batch.language()))


def mfaenv_commands(body: str) -> list[list[str]]:
    """Each `mfaenv ...` command of a PowerShell or cmd block, up to the pipe, quote or redirect that ends it."""
    return [shlex.split(m.group(0)) for m in re.finditer(r"\bmfaenv [^|'>\n]*", body)]


def parse_block(b: Block, h: Home) -> None:
    shell = PARSE[b.lang]
    parser = PS_PARSER if shell == "powershell" else BATCH_PARSER
    # Typed at cmd's prompt, a for variable is %i; in a batch file, which the grammar reads, %%i.
    source = re.sub(r"(?<!%)%i\b", "%%i", b.body) if shell == "cmd" else b.body
    tree = parser.parse(source.encode())
    assert not tree.root_node.has_error, f"{b.name}: the {shell} grammar rejects the block: {tree.root_node}"
    commands = mfaenv_commands(b.body)
    assert commands, f"{b.name}: no mfaenv command found"
    # logout removes what a login set: run it in the environment of a shell holding a session.
    dump = subprocess.run(
        ["bash", "-c", 'eval "$(mfaenv login)" && env -0'], capture_output=True, env=h.env, check=True, timeout=120
    ).stdout
    in_session = dict(e.split("=", 1) for e in dump.decode().split("\0") if "=" in e)
    for argv in commands:
        if argv[1] in ("login", "logout") and "--shell" not in argv:
            argv = [*argv, "--shell", shell]
        env = in_session if argv[1] == "logout" else h.env
        p = subprocess.run(argv, capture_output=True, cwd=h.work, env=env, timeout=120, start_new_session=True)
        assert p.returncode == 0, f"{b.name}: {' '.join(argv)}: {p.stderr.decode()}"
        assert p.stdout.strip(), f"{b.name}: {' '.join(argv)} printed nothing to parse"
        out = parser.parse(p.stdout)
        assert not out.root_node.has_error, f"{b.name}: the {shell} grammar rejects what {argv} prints"
    assert h.failed() == []


@pytest.mark.parametrize("block", CODE_BLOCKS, ids=[b.name for b in CODE_BLOCKS])
def test_snippet(block: Block, docs_home: Home) -> None:
    if block.lang in PARSE:
        parse_block(block, docs_home)
    else:
        run_block(block, docs_home)


# ---------------------------------------------------------------------------
# What the prompt lines promise, in the real shells

FISH_PROMPTS = [b for b in ALL if b.lang == "fish" and "function fish_prompt" in b.body]


def hook(shell: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mfaenv", "init", shell], capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize("block", FISH_PROMPTS, ids=[b.name for b in FISH_PROMPTS])
def test_the_documented_fish_prompt_keeps_the_folder_without_a_session(block: Block, isolated: Path) -> None:
    require("fish")
    script = (
        hook("fish")
        + block.body
        + "fish_prompt; echo '|'\n"
        + "echo -n (mfaenv_prompt)' '(prompt_pwd); echo '|'\n"  # the form the docs warn about
        + "set -gx MFAENV_PROFILE work; set -gx MFAENV_EXPIRES (math (date +%s) + 7200); fish_prompt\n"
    )
    p = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, cwd=isolated, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    without, cartesian, with_session = p.stdout.decode().split("|\n")
    assert without == "~> ", without  # the folder, with no segment and no stray space
    assert cartesian == "", cartesian  # fish's product of no words: the whole prompt gone
    assert re.fullmatch(r"aws:work (1h59m|2h00m) ~> ", with_session), with_session


def test_the_documented_bash_prompt_adds_a_space_only_with_a_session(isolated: Path) -> None:
    (line,) = [b.body for b in ALL if b.lang == "bash" and b.body.startswith("PS1=")]
    script = (
        hook("bash")
        + line
        + '_mfaenv_prompt; printf "%s|" "${PS1@P}"\n'
        + "export MFAENV_PROFILE=work MFAENV_EXPIRES=$(( $(date +%s) + 7200 )); _mfaenv_prompt\n"
        + 'printf "%s" "${PS1@P}"\n'
    )
    p = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, cwd=isolated, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    without, with_session = p.stdout.decode().split("|")
    prompt_char = "#" if os.geteuid() == 0 else "$"
    assert without == f"~{prompt_char} ", without
    assert re.fullmatch(rf"aws:work (1h59m|2h00m) ~\{prompt_char} ", with_session), with_session


def code_spans(markdown: str) -> list[str]:
    return [m.group(2).strip() for m in re.finditer(r"(``?)(.+?)\1", markdown)]


def test_the_readmes_shell_table_quotes_only_lines_a_block_runs() -> None:
    """The per-shell table is inline code, not fenced: each of its lines must be one the blocks test."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Use, per shell", 1)[1].split("\n## ", 1)[0]
    rows = [line.replace("\\|", "|") for line in table.splitlines() if line.startswith("| ") and "mfaenv" in line]
    spans = [s for row in rows for s in code_spans(row) if "mfaenv " in s and not s.startswith("~")]
    spans += [s for s in code_spans(readme) if s.startswith("PS1=")]
    tested = "\n".join(b.body for b in CODE_BLOCKS)
    assert len(spans) >= 15
    missing = [s for s in spans if s not in tested]
    assert missing == [], f"README lines no fenced block runs: {missing}"


def test_the_readmes_set_up_commands_exist_and_the_demo_runs(isolated: Path) -> None:
    """The README's first block is norun (it builds .venv, or runs this suite); what it names exists, and
    the demo's body (scripts/demo.sh sets up the venv, then runs demo.py) logs in and shows the session."""
    first = ALL[0]
    assert first.path.name == "README.md" and "norun" in first.flags
    commands = [line.split()[0] for line in first.body.splitlines() if line and not line.startswith("#")]
    assert commands == ["scripts/demo.sh", "scripts/test.sh"]
    assert all(os.access(ROOT / c, os.X_OK) for c in commands)
    assert (ROOT / "scripts" / "demo.sh").read_text().rstrip().endswith('scripts/demo.py "$@"')
    p = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--shell", "bash"],
        capture_output=True,
        timeout=120,
        start_new_session=True,
    )
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert b"export AWS_SESSION_TOKEN=" in p.stdout
    assert re.search(r"session profile default, 1[12]h\d\dm left", p.stderr.decode()), p.stderr.decode()[-2000:]


ROLES_HOME_BLOCKS = [
    b
    for b in ALL
    if b.path.name == "README.md" and b.lang == "sh" and ("--write-profile" in b.body or "prod-" in b.body)
]


@pytest.mark.parametrize("block", ROLES_HOME_BLOCKS, ids=[b.name for b in ROLES_HOME_BLOCKS])
def test_the_readmes_profile_blocks_work_with_its_roles_config_alone(block: Block, docs_home: Home) -> None:
    """With the README's Roles config as the whole ~/.aws/config (no [default]), its blocks still run:
    each names the profile it means (`login --write-profile mfa` alone once failed there)."""
    readme = (ROOT / "README.md").read_text()
    config = readme.split("### Roles", 1)[1].split("```ini\n", 1)[1].split("```", 1)[0]
    work = docs_home.users["work"]
    (docs_home.home / ".aws" / "config").write_text(config.replace("arn:aws:iam::111111111111:mfa/alice", work.serial))
    (docs_home.home / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = {work.key_id}\naws_secret_access_key = {work.secret}\n"
    )
    run_block(block, docs_home)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_names_a_file_and_heading_that_exist() -> None:
    broken = []
    for page in DOCS:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, frag = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.name}: {target}")
            elif frag and dest.suffix == ".md":
                headings = {anchor(h) for h in re.findall(r"^#+ (.+)$", dest.read_text(), flags=re.M)}
                if frag not in headings:
                    broken.append(f"{page.name}: {target}")
    assert broken == []
