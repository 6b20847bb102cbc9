"""The sections of an AWS file, read exactly as botocore reads them. Pure: the caller reads the bytes.

botocore parses each file with configparser.RawConfigParser (strict: a
duplicate section or key is an error; a `[DEFAULT]` section's keys reach every
section) and then names profiles by `build_profile_map`: in the config file a
section whose name starts with `profile` is profile `X` when shlex splits its
name into two words (`profile X`, `profile  X`, `profile "X"`, `profile\\tX`,
even `profileX X`), `[default]` is profile default, and of two sections naming
one profile the later one wins whole (no merge). In the credentials file every
section is a profile of its own name; its values are merged over the config
file's.

`parse` also says where each section starts and ends in the bytes, so a later
call can parse one section alone (store.index): a section's lines are read
the same alone as in the whole file, because a section header resets all
configparser state except the `[DEFAULT]` values (a file with any of those has
no bounds) and the duplicate check (the whole parse has passed it).
"""

from __future__ import annotations

import configparser
import io
import re
from itertools import accumulate

#: Keys whose presence (a non-empty value) the index records per section, as
#: bits, so `list` and completion find the profiles holding keys without
#: reading the others. Their names only: never a value.
NOTABLE = ("aws_access_key_id", "aws_secret_access_key", "mfaenv_keyring")

Sections = dict[str, dict[str, str]]


class ParseError(Exception):
    """The file is not what botocore can read; the message is one line and holds no value."""


def parse(data: bytes, source: str = "<file>") -> tuple[Sections, list[int] | None]:
    """(every section's values, [start, end, start, end, ...] byte offsets per section, or None).

    Universal newlines, as when botocore opens the file in text mode.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("it is not UTF-8 text") from None
    headers: list[int] = []  # the line number at which each new section appeared
    state = {"line": 0, "reading": False}

    def new_dict() -> dict[str, str]:
        # configparser makes one dict per new section as it reads its header line.
        if state["reading"]:
            headers.append(state["line"])
        return {}

    def lines() -> object:
        for number, line in enumerate(io.StringIO(text, newline=None)):
            state["line"] = number
            yield line

    parser = configparser.RawConfigParser(dict_type=new_dict)  # type: ignore[arg-type]
    state["reading"] = True
    try:
        parser.read_file(lines(), source)  # type: ignore[arg-type]
    except configparser.Error as e:
        raise ParseError(first_line(e)) from None
    state["reading"] = False
    names = parser.sections()
    values = {name: dict(parser.items(name)) for name in names}
    if parser.defaults() or len(headers) != len(names):
        return values, None  # [DEFAULT] keys belong to every section: no section reads alone
    # bytes.splitlines splits where universal newlines do (\n, \r\n, \r), so line numbers agree.
    starts = [0, *accumulate(map(len, data.splitlines(keepends=True)))]
    bounds: list[int] = []
    for i, line in enumerate(headers):
        end = starts[headers[i + 1]] if i + 1 < len(headers) else len(data)
        bounds += [starts[line], end]
    return values, bounds


def parse_one(chunk: bytes, name: str) -> dict[str, str] | None:
    """The values of the one section `chunk` holds (from parse's bounds); None if it is not that section."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_file(io.StringIO(chunk.decode("utf-8"), newline=None), "file")
    except (configparser.Error, UnicodeDecodeError):
        return None
    if parser.sections() != [name] or parser.defaults():
        return None
    return dict(parser.items(name))


def first_line(e: Exception) -> str:
    """configparser's message without the offending line it quotes (it may hold a key)."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    line = getattr(e, "lineno", None)
    return f"{text} (line {line})" if line and "line" not in text else text


def flags(values: dict[str, str]) -> int:
    """Bits of NOTABLE keys set (non-empty) in one section's values."""
    return sum(1 << i for i, key in enumerate(NOTABLE) if values.get(key, "").strip())


#: `profile NAME` with nothing shlex would treat specially: its second word as written.
_PLAIN = re.compile(r"[^ \t\r\n\"'\\]+[ \t\r\n]+([^ \t\r\n\"'\\]+)[ \t\r\n]*\Z")


def _two_words(section: str) -> str | None:
    plain = _PLAIN.match(section)
    if plain:
        return plain.group(1)
    import shlex

    try:
        parts = shlex.split(section)
    except ValueError:  # an unclosed quote: botocore skips the section
        return None
    return parts[1] if len(parts) == 2 else None


def profile_of(section: str) -> str | None:
    """The profile a config-file section names for botocore (build_profile_map), or None."""
    if section.startswith("profile"):
        return _two_words(section)
    return "default" if section == "default" else None


def config_profiles(names: list[str]) -> dict[str, str]:
    """profile name -> the config-file section botocore takes it from (the last one naming it)."""
    out: dict[str, str] = {}
    for section in names:
        name = profile_of(section)
        if name is not None:
            out[name] = section  # the later section wins whole, in the first one's place (a dict update)
    return out


def services(names: list[str]) -> dict[str, str]:
    """`services` section name (botocore's key) -> its section, the later one winning."""
    out: dict[str, str] = {}
    for section in names:
        if section.startswith("services"):
            name = _two_words(section)
            if name is not None:
                out[name] = section
    return out


def nested(value: str) -> str | dict[str, str]:
    """A value as botocore's raw_config_parse gives it: an indented block (`s3 =` then lines) as a dict."""
    if not value.startswith("\n"):
        return value
    out = {}
    for line in value.splitlines():
        line = line.strip()
        if line:
            if "=" not in line:
                raise ParseError("a nested setting line has no '='")
            key, val = line.split("=", 1)
            out[key.strip()] = val.strip()
    return out
