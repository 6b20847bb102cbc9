"""A shell never runs what another shell's output holds.

MFAENV_SHELL is inherited by child shells, a `--shell` can be copied into the
wrong line, and a pipe can end in the wrong shell: `MFAENV_SHELL=nu bash -c
'eval "$(mfaenv export evil.json)"'` once ran a `$(touch ...)` from a value,
because bash read nushell's JSON as commands. Detection cannot rule that out
(MFAENV_SHELL exists for when detection is wrong), so the output itself is
inert: a value only selects among fixed tokens (mfaenv/shells/base.py).

Here every renderer's output for hostile values is evaluated by every real
shell of another family, each chunk on its own and in its own folder, and no
payload may leave a file. PowerShell and cmd output runs in the real shells
too; the other way round is in test_windows_shells.py (the PowerShell
grammar, wine's cmd).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mfaenv import shells
from mfaenv.plan import EnvChange
from tests.realshells import run_each
from tests.test_roundtrip import HOSTILE, NASTY, TARGET, representable

#: A renderer (by the name `--shell` takes) -> the shells it is written for.
RENDERERS: dict[str, set[str]] = {
    "bash": {"bash", "dash", "sh", "zsh", "ksh"},
    "fish": {"fish"},
    "tcsh": {"tcsh", "csh"},
    "nu": {"nu"},
    "elvish": {"elvish"},
    "xonsh": {"xonsh"},
    "pwsh": set(),
    "cmd": set(),
}
#: The real shells here that read them (sh is dash and csh is tcsh on Debian).
TARGETS = ("bash", "dash", "zsh", "ksh", "fish", "tcsh", "nu", "elvish", "xonsh")
PAIRS = [(r, t) for r in RENDERERS for t in TARGETS if t not in RENDERERS[r]]


def chunks(renderer: str, values: list[str], per_chunk: int = 1) -> list[str]:
    """`renderer`'s output for the values it can hold: `per_chunk` values a chunk, then all of them at once.

    The whole batch matters too: a quote that one statement left open in the
    wrong shell could close in the next one and free what lies between.
    """
    shell = shells.lookup(renderer)
    assert shell is not None
    kept = [v for v in values if representable(renderer, v)]
    groups = [kept[i : i + per_chunk] for i in range(0, len(kept), per_chunk)]
    return [shell.render(_change(group)) for group in groups + [kept]]


def _change(values: list[str]) -> EnvChange:
    # AWS_PROFILE: fish's unset of it carries a fixed warning line too.
    return EnvChange(
        unset=("MFAENV_STALE", "AWS_PROFILE"), set=tuple((f"MFAENV_T{i}", v) for i, v in enumerate(values))
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MFAENV_")}


@pytest.mark.parametrize(("renderer", "target"), PAIRS)
def test_fixed_values_run_nothing_in_another_shell(renderer: str, target: str, tmp_path: Path) -> None:
    texts = chunks(renderer, NASTY)
    assert len(texts) >= 15  # cmd refuses most of the list, and keeps some
    dirty = run_each(target, texts, tmp_path / "chunks", _clean_env())
    assert dirty == [], f"{target} ran a payload from {renderer}'s output: {_shown(dirty, texts)}"


#: Hypothesis examples per target shell (3 locally, 5 in CI); each is one
#: process for 40 values through every other renderer.
EXAMPLES = max(3, TARGET // 2000)


@pytest.mark.parametrize("target", TARGETS)
def test_generated_values_run_nothing_in_another_shell(target: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    tried = {"values": 0}

    # No shrinking: a failure names its chunk and payload already, and each
    # shrinking step would run the shell again, hundreds of times.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=(Phase.generate,),
    )
    @given(st.lists(HOSTILE, min_size=40, max_size=40))
    def check(values: list[str]) -> None:
        texts = [t for r in RENDERERS if target not in RENDERERS[r] for t in chunks(r, values, per_chunk=4)]
        dirty = run_each(target, texts, tmp_path_factory.mktemp(target), _clean_env())
        assert dirty == [], f"{target} ran a payload: {_shown(dirty, texts)}"
        tried["values"] += len(values)

    check()
    assert tried["values"] >= 40 * EXAMPLES


def _shown(dirty: list[str], texts: list[str]) -> str:
    first = Path(dirty[0])
    return f"{len(dirty)} chunks, e.g. {sorted(p.name for p in first.iterdir())} from {texts[int(first.name)]!r}"
