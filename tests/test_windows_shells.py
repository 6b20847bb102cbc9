"""PowerShell and cmd output, tested as far as tools that run on Linux allow.

Neither shell runs here, so three weaker witnesses stand in:
- exact strings, for what a reader can check by eye;
- the tree-sitter grammars for PowerShell and batch, which must split every
  rendered statement exactly where we meant it to end;
- Wine's cmd.exe, which runs the cmd output through `for /f` for real.
None of them is the real PowerShell, and Wine's cmd is a reimplementation;
the comments below say where each one falls short.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import string
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import tree_sitter_batch
import tree_sitter_powershell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Node, Parser

from mfaenv import shells
from mfaenv.errors import UnrepresentableValue
from mfaenv.plan import EnvChange
from mfaenv.shells.cmd import Cmd
from mfaenv.shells.powershell import PowerShell
from tests.test_roundtrip import HOSTILE, NASTY, VALUE, representable

PS_PARSER = Parser(Language(tree_sitter_powershell.language()))
BATCH_PARSER = Parser(Language(tree_sitter_batch.language()))

#: What cmd accepts; everything else is refused (mfaenv/shells/cmd.py).
CMD_ALPHABET = string.ascii_letters + string.digits + "+/=._:@ -"
CMD_VALUE = st.text(st.sampled_from(CMD_ALPHABET), max_size=30)
#: The four curly single quotes PowerShell reads as `'` (language spec, single-quote-character).
CURLY = "\u2018\u2019\u201a\u201b"
#: A realistic session token: STS tokens run to well over a thousand characters of base64.
LONG_TOKEN = ("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=" * 30)[:1600]
#: Fixed values for Wine's cmd: the spacing and punctuation `set "K=V"` must keep.
CMD_EDGES = [
    " ",
    "  ",
    "  lead and trail  ",
    "trail ",
    " lead",
    "a  b",
    "=",
    "==",
    "=x",
    "x=",
    "a=b=c",
    "+",
    "/",
    "//x/",
    "-e",
    "--",
    "-",
    "@x",
    "@",
    ":",
    ":x",
    "::",
    ".",
    "..",
    "_",
    "on",
    "off",
    "/A 1+1",
    "/P x",
    "a b /p",
    "AQoDYXdzEJr//////////wEaDM+/=",
    "2026-11-28T15:47:06Z",
    "arn:aws:iam::123456789012:mfa/a.b@c-d_e",
    LONG_TOKEN,
]

# ---------------------------------------------------------------------------
# 1. Exact strings


def test_powershell_renders_exactly() -> None:
    change = EnvChange(
        unset=("AWS_SECURITY_TOKEN",),
        set=(("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"), ("MFAENV_PROFILE", "it's \u2018a\u2019 \u201ab\u201b")),
    )
    assert PowerShell().render(change) == (
        "Remove-Item -LiteralPath Env:AWS_SECURITY_TOKEN -ErrorAction SilentlyContinue;\n"
        "$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE';\n"
        "$Env:MFAENV_PROFILE = 'it' + [char]0x0027 + 's ' + [char]0x2018 + 'a' + [char]0x2019"
        " + ' ' + [char]0x201A + 'b' + [char]0x201B;\n"
    )


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("", "''"),
        ("AQoDYXdzEJr//////////wEaDM+/=", "'AQoDYXdzEJr//////////wEaDM+/='"),
        ("'", "'' + [char]0x0027"),
        ("\u2018", "'' + [char]0x2018"),
        ("a'\u2019b", "'a' + [char]0x0027 + [char]0x2019 + 'b'"),
        # `$`, backtick and `"` would mean nothing inside '...', but another shell reading the line would act on them.
        ('$x `y"', "'' + [char]0x0024 + 'x ' + [char]0x0060 + 'y' + [char]0x0022"),
        # Above U+FFFF: a surrogate pair, as .NET strings hold it.
        ("\U0001f642", "'' + [char]0xD83D + [char]0xDE42"),
    ],
)
def test_powershell_quote_writes_every_other_character_as_a_char(value: str, quoted: str) -> None:
    assert PowerShell().quote(value) == quoted


def test_cmd_renders_exactly() -> None:
    change = EnvChange(
        unset=("AWS_SECURITY_TOKEN",),
        set=(
            ("AWS_SECRET_ACCESS_KEY", "wJal/K7+MDENG=="),
            ("AWS_CREDENTIAL_EXPIRATION", "2026-11-28T15:47:06Z"),
            ("MFAENV_PROFILE", " dev team "),
        ),
    )
    assert Cmd().render(change) == (
        'set "AWS_SECURITY_TOKEN="\n'
        'set "AWS_SECRET_ACCESS_KEY=wJal/K7+MDENG=="\n'
        'set "AWS_CREDENTIAL_EXPIRATION=2026-11-28T15:47:06Z"\n'
        'set "MFAENV_PROFILE= dev team "\n'
    )


def test_cmd_empty_value_is_indistinguishable_from_unset() -> None:
    # cmd has no empty variables: `set "K="` removes K. So an empty value is
    # removal in cmd (plan never sets an empty value, so this is not reached today).
    assert Cmd().render(EnvChange(set=(("K", ""),))) == Cmd().render(EnvChange(unset=("K",)))


@pytest.mark.parametrize(
    "bad", ["%", "!", "^", "&", "|", "<", ">", '"', "\n", "\r", "\t", "(", ")", "'", "é", "\u2019"]
)
def test_cmd_refuses_unsafe_characters(bad: str) -> None:
    value = f"s3cretPart{bad}tail"
    with pytest.raises(UnrepresentableValue) as e:
        Cmd().render(EnvChange(set=(("AWS_SESSION_TOKEN", value),)))
    assert repr(bad) in e.value.message
    assert "s3cretPart" not in e.value.message  # the value may be a secret


def test_cmd_accepts_exactly_its_alphabet() -> None:
    # Every ASCII character and a few beyond: accepted if and only if in CMD_ALPHABET.
    chars = [chr(c) for c in range(1, 0x80)] + ["\u00a0", "\u00e9", "\u2019", "\u3000", "\U0001f642"]
    accepted = {c for c in chars if representable("cmd", c)}
    assert accepted == set(CMD_ALPHABET)


# ---------------------------------------------------------------------------
# 2. The tree-sitter grammars
#
# tree-sitter-powershell reads only the ASCII apostrophe as a quote: its
# verbatim_string_characters token is `'` ([^']+ | '')* `'` (grammar.js), so
# U+2018..U+201B are ordinary characters to it, although the PowerShell
# language spec (and PowerShell itself) ends a single-quoted string at any of
# them. On its own the grammar therefore cannot tell whether we doubled the
# curly quotes. We parse twice: the text as it is (the grammar's real view),
# and the text with each curly quote folded to `'` (a one-for-one character
# map that models the spec's rule that all five are the same quote). Only the
# folded parse can catch an undoubled curly quote; test_grammar_ignores_curly_quotes
# pins the limitation so a grammar that learns them tells us.


def fold_quotes(text: str) -> str:
    return text.translate({ord(q): "'" for q in CURLY})


def ps_statements(src: str) -> list[tuple[str, str, str]]:
    """The top-level statements PowerShell's grammar finds in `src`: (kind, target, value).

    An assignment is ("set", left side, right side's text) when its right side is
    string literals and `[char]` casts of integers joined by `+` (all we print),
    and ("set", left side, "<type: text>") otherwise.
    """
    root = PS_PARSER.parse(src.encode()).root_node
    assert not root.has_error, f"PowerShell grammar error in {src!r}: {root}"
    found = []
    for top in root.named_children:  # a statement_list, or e.g. a comment that swallowed the rest
        if top.type != "statement_list":
            found.append(("other", str(top), text(top)))
            continue
        found += [ps_statement(s) for s in top.named_children if s.type != "empty_statement"]
    return found


def ps_statement(node: Node) -> tuple[str, str, str]:
    inner = node
    while inner.type in ("pipeline", "pipeline_chain") and inner.named_child_count == 1:
        inner = inner.named_children[0]
    if inner.type == "command":
        return ("command", text(inner), "")
    if inner.type != "assignment_expression":
        return ("other", str(inner), text(inner))
    left, _op, value = inner.named_children
    # The grammar's own view of the literals (it reads only `'` as a quote).
    shown = text(value) if _ps_units(value, lambda lit: []) is not None else f"<{value}: {text(value)}>"
    return ("set", text(left), shown)


def ps_value(node: Node) -> str | None:
    """The string PowerShell computes from `node`, if it is only literals, `[char]` casts and `+`; else None."""
    units = _ps_units(node, lambda lit: [ord(c) for c in ps_unquote(lit)])
    return None if units is None else b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be", "surrogatepass")


def _ps_units(node: Node, read: Callable[[str], list[int]]) -> list[int] | None:
    while node.named_child_count == 1 and node.type not in ("string_literal", "cast_expression"):
        node = node.named_children[0]
    if node.type == "string_literal":
        return read(text(node)) if text(node)[:1] in "'" + CURLY else None
    if node.type == "cast_expression":
        kind, operand = node.named_children
        digits = text(operand)
        if text(kind).lower() != "[char]" or not digits.lower().startswith("0x"):
            return None
        return [int(digits, 16)]
    if node.type == "additive_expression" and [c.type for c in node.children][1:2] == ["+"]:
        left, right = _ps_units(node.children[0], read), _ps_units(node.children[2], read)
        return None if left is None or right is None else left + right
    return None


def text(node: Node) -> str:
    return (node.text or b"").decode()


def expected_ps(change: EnvChange, ps: PowerShell) -> list[tuple[str, str, str]]:
    """The statements `ps` means to print for `change`."""
    unsets = [("command", f"Remove-Item -LiteralPath Env:{k} -ErrorAction SilentlyContinue", "") for k in change.unset]
    return unsets + [("set", f"$Env:{k}", ps.quote(v)) for k, v in change.set]


def ps_unquote(literal: str) -> str:
    """The value PowerShell reads from a single-quoted literal, per its language spec.

    Any of the five quote characters ends the string unless another one follows
    it, in which case the pair stands for one quote (PowerShell keeps one of the
    two; ours are always two of the same). A model, not PowerShell itself.
    """
    quotes = "'" + CURLY
    assert literal[:1] in quotes, f"{literal!r} does not start with a quote"
    out, i = [], 1
    while i < len(literal):
        c = literal[i]
        if c in quotes and literal[i + 1 : i + 2] and literal[i + 1] in quotes:
            out.append(c)
            i += 2
        elif c in quotes:
            assert i == len(literal) - 1, f"{literal!r} ends at character {i}, before its end"
            return "".join(out)
        else:
            out.append(c)
            i += 1
    raise AssertionError(f"{literal!r} is never closed")


def check_powershell_grammar(change: EnvChange, ps: PowerShell, src: str | None = None) -> None:
    """`ps`'s output for `change` (or `src`, that output as read) splits into exactly the statements it means."""
    src = ps.render(change) if src is None else src
    meant = expected_ps(change, ps)
    assert ps_statements(src) == meant
    assert ps_statements(fold_quotes(src)) == [(kind, target, fold_quotes(value)) for kind, target, value in meant]


def ps_assigned(src: str) -> list[str | None]:
    """What each `$Env:K = ...` in `src` assigns, computed from the grammar's tree (curly quotes folded)."""
    root = PS_PARSER.parse(fold_quotes(src).encode()).root_node
    values = []
    for node in _walk(root):
        if node.type == "assignment_expression":
            values.append(ps_value(node.named_children[2]))
    return values


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.named_children:
        yield from _walk(child)


def check_powershell(change: EnvChange) -> None:
    """Our output is ASCII, parses as meant, and each right side computes (per the spec) its value."""
    src = PowerShell().render(change)
    assert src.isascii()
    check_powershell_grammar(change, PowerShell())
    assert ps_assigned(src) == [v for _, v in change.set]


def numbered(values: list[str]) -> EnvChange:
    return EnvChange(unset=("MFAENV_STALE",), set=tuple((f"MFAENV_T{i}", v) for i, v in enumerate(values)))


def test_powershell_grammar_accepts_nasty_values() -> None:
    check_powershell(numbered(NASTY))


def test_powershell_grammar_accepts_each_nasty_value_alone() -> None:
    # One at a time too, so a failure names the value.
    for value in NASTY:
        check_powershell(EnvChange(set=(("K", value),)))


#: Code pages Windows PowerShell 5.1 may decode a native command's output with:
#: Western, Cyrillic, the two OEM ones, Japanese, Simplified and Traditional Chinese, Korean.
CODE_PAGES = ("cp1252", "cp1251", "cp437", "cp850", "cp932", "cp936", "cp950", "cp949")


@pytest.mark.parametrize("code_page", CODE_PAGES)
def test_powershell_output_reads_the_same_in_every_code_page(code_page: str) -> None:
    # mfaenv writes UTF-8; 5.1 reads it in the console's code page. In CP1252
    # the bytes of `ё` (D1 91) read as `Ñ‘`, and `‘` ends a single-quoted string.
    values = NASTY + ["\u0451", "\u0442\u0451\u0442", "\u0451'; touch pwned; #"]
    for value in values:
        change = EnvChange(set=(("K", value),))
        read = PowerShell().render(change).encode().decode(code_page, "replace")
        check_powershell_grammar(change, PowerShell(), read)
        assert ps_assigned(read) == [value]


#: VALUE rarely draws the five quotes; this mixes them into short values often.
QUOTEY = st.text(st.sampled_from("'" + CURLY + '"$`;#() \nx'), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(VALUE, QUOTEY), min_size=1, max_size=20))
def test_powershell_grammar_accepts_generated_values(values: list[str]) -> None:
    check_powershell(numbered(values))


def test_grammar_ignores_curly_quotes() -> None:
    # An undoubled U+2019 ends the string in PowerShell (running `touch pwned`
    # here), yet the grammar reads one literal: the limitation described above.
    broken = "$Env:K = 'x\u2019;touch pwned;\u2019';\n"
    assert ps_statements(broken) == [("set", "$Env:K", "'x\u2019;touch pwned;\u2019'")]
    # Folded, the same text splits where PowerShell splits it: the command runs.
    folded = ps_statements(fold_quotes(broken))
    assert folded[:2] == [("set", "$Env:K", "'x'"), ("command", "touch pwned", "")]


def test_powershell_check_catches_a_syntax_error() -> None:
    # An undoubled ' in the middle leaves a stray quote: a grammar error.
    assert PS_PARSER.parse(b"$Env:K = 'x'y';\n").root_node.has_error
    with pytest.raises(AssertionError, match="grammar error"):
        ps_statements("$Env:K = 'x'y';\n")


def test_powershell_check_catches_a_clean_mis_split() -> None:
    # This breakout parses without error; only the statement list shows it.
    src = "$Env:K = 'x';touch pwned;'';\n"
    assert not PS_PARSER.parse(src.encode()).root_node.has_error
    got = ps_statements(src)
    assert [kind for kind, _, _ in got] == ["set", "command", "other"]
    assert got[:2] == [("set", "$Env:K", "'x'"), ("command", "touch pwned", "")]


def test_powershell_check_catches_an_unquoted_value() -> None:
    assert ps_statements("$Env:K = x;\n")[0][2].startswith("<")


class _AsciiOnly(PowerShell):
    """The classic bug: doubling only the ASCII apostrophe."""

    def quote(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"


class _NoDoubling(PowerShell):
    def quote(self, value: str) -> str:
        return "'" + value + "'"


@pytest.mark.parametrize("broken", [_AsciiOnly(), _NoDoubling()], ids=lambda s: type(s).__name__)
def test_powershell_check_fails_for_broken_quoting(broken: PowerShell) -> None:
    # The grammar check alone, measured against what the broken quoting means,
    # must catch the breakouts in NASTY (the curly one only when folded).
    failed = []
    for value in NASTY:
        try:
            check_powershell_grammar(EnvChange(set=(("K", value),)), broken)
        except AssertionError:
            failed.append(value)
    assert "plain" not in failed  # it rejects breakouts, not everything
    assert "\u2019; touch pwned19; \u2019" in failed
    if isinstance(broken, _NoDoubling):
        assert "'; touch pwned5; '" in failed


#: Every other renderer, with values that use each of its fixed tokens: PLAIN,
#: ASCII punctuation, non-ASCII, a final line break. Whatever PowerShell's
#: grammar finds in that output is structure; a hostile value must add nothing.
OTHERS = ("bash", "fish", "tcsh", "elvish", "nu", "xonsh", "cmd")
TOKEN_SAMPLES = ["plain", "a'b$c", "\u4e01\U0001f642", "-x", "a\n"]


def ps_names(src: str) -> set[str] | None:
    """The commands and members PowerShell would call in `src`; None if it would refuse the text.

    Invoke-Expression parses the whole text before it runs any of it, so text
    the grammar cannot parse runs nothing (as far as the grammar is right).
    Curly quotes are folded to `'`, as PowerShell reads them.
    """
    root = PS_PARSER.parse(fold_quotes(src).encode()).root_node
    if root.has_error:
        return None
    return {text(n) for n in _walk(root) if n.type in ("command_name", "member_name")}


def structure_names(renderer: str) -> set[str]:
    shell = shells.lookup(renderer)
    assert shell is not None
    samples = [v for v in TOKEN_SAMPLES if representable(renderer, v)] or ["plain"]
    return set().union(*(ps_names(shell.render(numbered([v]))) or set() for v in samples))


def ps_extra(renderer: str, values: list[str]) -> set[str]:
    """What PowerShell would call in `renderer`'s output for `values` beyond its fixed structure."""
    out = shells.lookup(renderer).render(numbered(values))  # type: ignore[union-attr]
    return (ps_names(out) or set()) - structure_names(renderer)


@pytest.mark.parametrize("renderer", OTHERS)
def test_powershell_grammar_finds_no_command_in_another_shells_values(renderer: str) -> None:
    # PowerShell cannot run here; its grammar can still say what it would call.
    values = [v for v in NASTY if representable(renderer, v)]
    assert {v: ps_extra(renderer, [v]) for v in values if ps_extra(renderer, [v])} == {}
    assert ps_extra(renderer, values) == set()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(HOSTILE, min_size=1, max_size=6))
def test_powershell_grammar_finds_no_command_in_generated_values(values: list[str]) -> None:
    for renderer in OTHERS:
        kept = [v for v in values if representable(renderer, v)]
        assert ps_extra(renderer, kept) == set(), (renderer, kept)


def cmd_statements(src: str) -> list[tuple[str, str | None]]:
    """(name, value) for each `set "K=V"` the batch grammar finds; value None for `set "K="`.

    Anything but one plain `set "K=V"` per line fails: a second command on a line,
    a %variable% reference inside the value, an unquoted assignment.
    """
    root = BATCH_PARSER.parse(src.encode()).root_node
    assert not root.has_error, f"batch grammar error in {src!r}: {root}"
    return [cmd_statement(node) for node in root.named_children]


def cmd_statement(node: Node) -> tuple[str, str | None]:
    assert node.type == "variable_assignment", f"not a plain set: {node}"
    kinds = [c.type for c in node.children]
    assert kinds[:4] == ["set_keyword", '"', "variable_name", "="] and kinds[-1] == '"', f'not set "K=V": {node}'
    name = text(node.children[2])
    if len(kinds) == 5:
        return (name, None)
    assert kinds[4] == "quoted_assignment_value" and len(kinds) == 6, f"unexpected value in {node}"
    value = node.children[4]
    assert [c.type for c in value.named_children] == ["assignment_literal"], f"value is not literal: {value}"
    return (name, text(value))


def expected_cmd(change: EnvChange) -> list[tuple[str, str | None]]:
    return [(k, None) for k in change.unset] + [(k, v or None) for k, v in change.set]


def check_cmd(change: EnvChange, newline: str = "\n") -> None:
    src = Cmd().render(change).replace("\n", newline)
    assert cmd_statements(src) == expected_cmd(change)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_batch_grammar_accepts_fixed_values(newline: str) -> None:
    values = [v for v in NASTY if representable("cmd", v)]
    assert len(values) >= 10  # the refusals must not swallow everything
    check_cmd(numbered(values + CMD_EDGES), newline)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(CMD_VALUE, min_size=1, max_size=20))
def test_batch_grammar_accepts_generated_values(values: list[str]) -> None:
    check_cmd(numbered(values))


@pytest.mark.parametrize(
    "src",
    [
        'set "K=x"y"\n',  # a stray quote: grammar error
        'set "K=x\n',  # unterminated: MISSING node
        'set "K=%PATH%"\n',  # expands instead of staying literal
        'set "K=x" & echo pwned\n',  # a second command
        'set K="x"\n',  # quotes become part of the value
        'set "K=a\nb"\n',  # a newline splits the statement
    ],
)
def test_batch_check_catches_broken_statements(src: str) -> None:
    with pytest.raises(AssertionError):
        assert cmd_statements(src) == [("K", "x")]


# ---------------------------------------------------------------------------
# 3. Wine's cmd.exe
#
# Users run: for /f "delims=" %i in ('mfaenv login --shell cmd') do @%i
# Wine 8's cmd cannot run that loop for any command (it takes the whole
# substituted line as a program name: "Can't recognize 'set ...'"), so when a
# probe shows this we run each line through `@call %%i` instead. `call` adds a
# second round of % expansion and ^ / & parsing; cmd refuses every character
# that could tell the two apart (% ^ & | < > " ! ( )), so for representable
# values both run the same `set`. test_wine_runs_the_exact_user_idiom reports
# which form ran.

EXACT_BODY = "@%%i"
CALL_BODY = "@call %%i"


@dataclasses.dataclass
class Wine:
    env: dict[str, str]
    root: Path
    body: str = EXACT_BODY
    #: The folder the last run ran in (its cwd): a payload would leave a file there.
    last_work: Path | None = None

    def run(self, statements: bytes, preset: Mapping[str, str] | None = None) -> tuple[dict[str, str], str]:
        """Evaluate `statements` with the for /f idiom; every MFAENV_* variable afterwards, and stderr."""
        work = self.root / uuid.uuid4().hex
        work.mkdir()
        self.last_work = work
        (work / "statements.txt").write_bytes(statements)
        mark = f"MARK{uuid.uuid4().hex}"
        lines = ["@echo off", *(f'set "{k}={v}"' for k, v in (preset or {}).items())]
        lines += [f"for /f \"delims=\" %%i in ('type statements.txt') do {self.body}"]
        lines += [f"echo {mark}", "set MFAENV_", f"echo {mark}"]
        (work / "run.cmd").write_bytes("".join(line + "\r\n" for line in lines).encode())
        # Files, not pipes: the wineserver that wine starts inherits them and
        # lingers for seconds, and reading a pipe to its end would wait for it.
        with open(work / "out", "wb") as out_f, open(work / "err", "wb") as err_f:
            subprocess.run(
                ["wine", "cmd", "/c", "run.cmd"], cwd=work, env=self.env, stdout=out_f, stderr=err_f, timeout=120
            )
        out = (work / "out").read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
        err = (work / "err").read_bytes().decode("utf-8", "replace")
        # Wine may print its own lines; only what lies between our markers is `set`'s.
        parts = out.split(f"{mark}\n")
        assert len(parts) == 3, f"markers not found in wine output {out[-2000:]!r}; stderr {err[-2000:]}"
        dumped = dict(line.partition("=")[::2] for line in parts[1].split("\n") if "=" in line)
        return dumped, err


def wine_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MFAENV_", "AWS_", "WINE"))}
    for gui in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(gui, None)  # keep wineboot from opening windows
    (root / "home").mkdir()
    return {
        **env,
        "HOME": str(root / "home"),
        "WINEPREFIX": str(root / "prefix"),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono or Gecko install on first start
    }


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """One Wine prefix for the session (its creation takes seconds), then removed."""
    if shutil.which("wine") is None:
        if os.environ.get("CI"):
            pytest.fail("wine is not installed, and CI must run the cmd tests (apt-get install wine)")
        pytest.skip("wine is not installed")
    root = tmp_path_factory.mktemp("wine")
    w = Wine(wine_env(root), root)
    got, err = w.run(b'set "MFAENV_PROBE=ok"\r\n')
    if got.get("MFAENV_PROBE") != "ok":
        w.body = CALL_BODY
        got, err = w.run(b'set "MFAENV_PROBE=ok"\r\n')
        assert got.get("MFAENV_PROBE") == "ok", f"wine's cmd runs neither loop form: {err[-2000:]}"
    yield w
    # Wait for this prefix's wineserver to exit on its own, then drop the ~700 MB prefix.
    subprocess.run(["wineserver", "-w"], env=w.env, timeout=60, check=False)
    shutil.rmtree(root, ignore_errors=True)


def wine_round_trip(wine: Wine, values: list[str], newline: str) -> None:
    change = numbered(values)
    statements = Cmd().render(change).replace("\n", newline).encode()
    got, err = wine.run(statements, preset={"MFAENV_STALE": "stale", "MFAENV_KEEP": "kept"})
    # cmd has no empty variables: an empty value leaves the name unset.
    expected = {k: v for k, v in change.set if v != ""} | {"MFAENV_KEEP": "kept"}
    assert "MFAENV_STALE" not in got, 'set "K=" did not remove a variable'
    diff = {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)}
    assert diff == {}, f"wine's cmd changed {len(diff)} values (expected, got): {list(diff.items())[:5]}; {err[-1000:]}"


def test_wine_runs_the_exact_user_idiom(wine: Wine) -> None:
    if wine.body != EXACT_BODY:
        pytest.xfail("this Wine's cmd cannot run `for /f ... do @%i`; the cmd tests ran `do @call %i`")


def test_wine_harness_sees_exact_values(wine: Wine) -> None:
    # Without the outer quotes cmd keeps the quotes in the value and drops
    # nothing; with them it drops what follows the closing quote. The harness
    # must report both as they are, or a passing round trip proves nothing.
    got, _ = wine.run(b'set MFAENV_T0="x"\r\nset "MFAENV_T1=y" z\r\nset MFAENV_T2=a \r\n')
    assert got == {"MFAENV_T0": '"x"', "MFAENV_T1": "y", "MFAENV_T2": "a "}


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_wine_cmd_fixed_values_round_trip(wine: Wine, newline: str) -> None:
    values = [v for v in NASTY if representable("cmd", v)] + CMD_EDGES
    wine_round_trip(wine, values, newline)


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_wine_cmd_generated_values_round_trip(wine: Wine, newline: str) -> None:
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(CMD_VALUE, min_size=1, max_size=60))
    def check(values: list[str]) -> None:
        wine_round_trip(wine, values, newline)

    check()


@pytest.mark.parametrize("renderer", ["bash", "fish", "tcsh", "elvish", "nu", "xonsh", "pwsh"])
def test_wine_cmd_runs_nothing_from_another_shells_output(wine: Wine, renderer: str) -> None:
    # cmd runs every line `for /f` hands it; `&`, `|` and `%` mean something
    # there in any position. The payloads write files into the run's folder.
    shell = shells.lookup(renderer)
    assert shell is not None
    values = [v for v in NASTY if representable(renderer, v)]
    text = shell.render(numbered(values)) + "".join(shell.render(numbered([v])) for v in values)
    for newline in ("\r\n", "\n"):
        wine.run(text.replace("\n", newline).encode())
        assert wine.last_work is not None
        left = sorted(p.name for p in wine.last_work.iterdir())
        assert left == ["err", "out", "run.cmd", "statements.txt"], f"a value ran in cmd: {left}"
