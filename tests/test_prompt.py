"""The MFA code prompt, in a real terminal (pexpect), while `eval "$(...)"` captures stdout."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pexpect
import pytest

from tests.conftest import CODE, MOTO_SESSION_SECRET, IamUser
from tests.helpers import MFAENV
from tests.realshells import require
from tests.tty import CODE_WITH_TYPO, ENTER, Terminal

MFAENV_CMD = " ".join(MFAENV)
PROMPT = "READY> "


@pytest.fixture
def bash(user: IamUser) -> Iterator[Terminal]:
    env = {**os.environ, "PS1": PROMPT, "TERM": "dumb"}
    child = Terminal(
        "bash", ["--noprofile", "--norc", "-i"], env=env, encoding="utf-8", timeout=30, dimensions=(40, 250)
    )
    child.expect_exact(PROMPT)
    yield child
    child.close(force=True)


def _run(child: Terminal, line: str) -> str:
    child.enter(line)
    child.expect_exact(PROMPT)
    return str(child.before)


def test_code_read_from_terminal_under_eval(bash: Terminal) -> None:
    bash.enter(f'out="$({MFAENV_CMD} login)"; eval "$out"; echo "rc=$?"')
    bash.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
    bash.enter(CODE)
    bash.expect_exact("rc=0")
    bash.expect_exact(PROMPT)
    assert MOTO_SESSION_SECRET in _run(bash, 'echo "secret=$AWS_SECRET_ACCESS_KEY"')
    # The code went to the terminal, not into what eval ran.
    assert "count=0" in _run(bash, f'echo "count=$(printf %s "$out" | grep -c {CODE})"')
    assert "profile=default" in _run(bash, 'echo "profile=$MFAENV_PROFILE"')


def test_bad_code_is_asked_again(bash: Terminal) -> None:
    bash.enter(f'eval "$({MFAENV_CMD} login)"; echo "rc=$?"')
    bash.expect_exact("MFA code for")
    bash.enter("12345")
    bash.expect_exact("the code is the 6 digits your MFA device shows")
    bash.expect_exact("MFA code for")
    bash.enter(f" {CODE} ")
    bash.expect_exact("rc=0")
    bash.expect_exact(PROMPT)
    assert MOTO_SESSION_SECRET in _run(bash, 'echo "secret=$AWS_SECRET_ACCESS_KEY"')


def test_three_bad_codes_apply_nothing(bash: Terminal) -> None:
    _run(bash, "export AWS_ACCESS_KEY_ID=before")
    bash.enter(f'out="$({MFAENV_CMD} login)"; echo "rc=$? len=${{#out}}"')
    for bad in ("1", "abcdef", "1234567"):
        bash.expect_exact("MFA code for")
        bash.enter(bad)
    bash.expect_exact("no valid MFA code after 3 tries")
    bash.expect_exact("rc=2 len=0")
    bash.expect_exact(PROMPT)
    assert "key=before" in _run(bash, 'echo "key=$AWS_ACCESS_KEY_ID"')


def test_ctrl_c_at_the_prompt_leaves_the_shell_as_it_was(bash: Terminal) -> None:
    _run(bash, "export AWS_ACCESS_KEY_ID=before")
    bash.enter(f'eval "$({MFAENV_CMD} login)"; echo "rc=$?"')
    bash.expect_exact("MFA code for")
    bash.sendintr()
    bash.expect_exact(PROMPT)
    assert "key=before" in _run(bash, 'echo "key=$AWS_ACCESS_KEY_ID"')
    assert "Traceback" not in str(bash.before)


def test_pick_one_of_several_devices(bash: Terminal, moto_server: str, isolated: os.PathLike[str]) -> None:
    from pathlib import Path

    from tests.conftest import make_user

    u = make_user(moto_server, devices=2)
    Path(isolated, ".aws", "credentials").write_text(
        f"[two]\naws_access_key_id = {u.key_id}\naws_secret_access_key = {u.secret}\n"
    )
    bash.enter(f'eval "$({MFAENV_CMD} login --profile two)"; echo "rc=$?"')
    bash.expect_exact("2) arn:aws:iam::123456789012:mfa/")
    bash.expect_exact("MFA device [1-2]: ")
    bash.enter("3")
    bash.expect_exact("type a number from 1 to 2")
    bash.expect_exact("MFA device [1-2]: ")
    bash.enter("2")
    bash.expect_exact(f"Save arn:aws:iam::123456789012:mfa/{u.name}-1 as mfa_serial of profile 'two'")
    bash.enter("y")
    bash.expect_exact(f"MFA code for arn:aws:iam::123456789012:mfa/{u.name}-1: ")
    bash.enter(CODE)
    bash.expect_exact("rc=0")
    bash.expect_exact(PROMPT)
    assert "profile=two" in _run(bash, 'echo "profile=$MFAENV_PROFILE"')
    # Saved, with everything else in the file kept: the next login needs no lookup and no pick.
    config = Path(isolated, ".aws", "config").read_text()
    assert config.startswith("[default]\nregion = eu-west-1\nmfa_serial = ")
    assert config.endswith(f"[profile two]\nmfa_serial = arn:aws:iam::123456789012:mfa/{u.name}-1\n")


def test_credential_process_asks_for_the_code_on_the_terminal(user: IamUser, isolated: os.PathLike[str]) -> None:
    """An SDK runs credential_process with its stdout captured; the code is still asked on the terminal."""
    import sys
    from pathlib import Path

    config = Path(isolated, ".aws", "config")
    config.write_text(
        config.read_text()
        + f"\n[profile work-mfa]\ncredential_process = {sys.executable} -m mfaenv credential-process --profile default\n"
    )
    script = "import boto3; c = boto3.Session(profile_name='work-mfa').get_credentials().get_frozen_credentials(); print('got', c.secret_key)"
    child = Terminal(sys.executable, ["-c", script], env=dict(os.environ), encoding="utf-8", timeout=60)
    child.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
    child.enter(CODE)
    child.expect_exact(f"got {MOTO_SESSION_SECRET}")
    child.expect(pexpect.EOF)


#: The user's own line in each shell, with no hook: the code is asked while stdout is captured.
BY_HAND = {
    "bash": (["bash", "--noprofile", "--norc", "-i"], f'eval "$({MFAENV_CMD} login)"; echo "rc=$?"'),
    "zsh": (["zsh", "--no-rcs", "-i"], f'eval "$({MFAENV_CMD} login)"; echo "rc=$?"'),
    "fish": (
        ["fish", "--no-config", "--private", "-C", f"function fish_prompt; printf '{PROMPT}'; end", "-i"],
        f"{MFAENV_CMD} login | source; echo rc=$pipestatus[1]",
    ),
}


@pytest.mark.parametrize("shell", sorted(BY_HAND))
def test_code_with_a_typo_corrected_by_backspace(shell: str, user: IamUser) -> None:
    """What a person types: a wrong digit, Backspace (DEL), the right one, Enter (CR)."""
    require(shell)
    argv, line = BY_HAND[shell]
    env = {**os.environ, "TERM": "dumb", "PS1": PROMPT, "PROMPT": PROMPT}
    child = Terminal(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30, dimensions=(40, 250))
    try:
        child.expect_exact(PROMPT)
        child.enter(line)
        child.expect_exact("MFA code for arn:aws:iam::123456789012:mfa/")
        child.send(CODE_WITH_TYPO + ENTER)
        child.expect_exact("rc=0")
        child.expect_exact(PROMPT)
        child.enter('sh -c \'echo "sec""ret=$AWS_SECRET_ACCESS_KEY."\'')
        child.expect_exact(f"secret={MOTO_SESSION_SECRET}.")
    finally:
        child.close(force=True)
