"""Mappings over the AWS files' sections whose values are parsed when first asked for. Pure.

FileView: one file's sections by name (store.index makes them); ConfigProfiles:
the config file's profiles by botocore's names; Merged: every profile, the
credentials file over the config file, as botocore's Session.full_config.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mfaenv.store import sections
from mfaenv.store.sections import Sections

#: How many files were parsed whole in this process (tests count them).
full_parses = 0

#: Hex digits per byte offset (files are at most 2 MiB, 0x200000) and per section number.
OFFSET_DIGITS = 6
NUMBER_DIGITS = 6


class Table:
    """Where each section starts and ends, its NOTABLE bits, and the section of each profile.

    Fixed-width hex in three strings, read one entry at a time: a call that
    needs two sections of 5,000 decodes two entries, not 15,000 numbers. An
    entry that does not read back (the index file was damaged) is None.
    """

    def __init__(self, bounds: str, bits: str, winners: str, size: int) -> None:
        self.bounds, self.bits_text, self.winners, self.size = bounds, bits, winners, size

    @classmethod
    def encode(cls, bounds: list[int], bits: list[int], winners: list[int], size: int) -> Table:
        return cls(
            "".join(f"{b:0{OFFSET_DIGITS}x}" for b in bounds),
            "".join(f"{b:x}" for b in bits),
            "".join(f"{w:0{NUMBER_DIGITS}x}" for w in winners),
            size,
        )

    def span(self, i: int) -> tuple[int, int] | None:
        w = OFFSET_DIGITS
        try:
            start, end = int(self.bounds[2 * w * i : 2 * w * i + w], 16), int(self.bounds[2 * w * i + w : 2 * w * (i + 1)], 16)
        except ValueError:
            return None
        return (start, end) if 0 <= start < end <= self.size else None

    def bits(self, i: int) -> int:
        try:
            return int(self.bits_text[i], 16)
        except (ValueError, IndexError):
            return -1  # not known: every bit

    def winner(self, j: int) -> int | None:
        try:
            return int(self.winners[NUMBER_DIGITS * j : NUMBER_DIGITS * (j + 1)], 16)
        except ValueError:
            return None


class FileView(Mapping[str, dict[str, str]]):
    """The sections of one file by name; a section's values are parsed when first asked for.

    profiles: for a config file from an index, profile name -> its entry in
    table.winners; None: computed when asked (profile name -> section number).
    """

    def __init__(
        self,
        data: bytes,
        names: list[str],
        table: Table | None,
        values: Sections | None = None,
        profiles: dict[str, int] | None = None,
    ) -> None:
        self._data, self._names, self._table = data, names, table
        self._at: dict[str, int] | None = None
        self._values: Sections = values or {}
        self._profiles = profiles
        self._via_winners = profiles is not None

    @classmethod
    def whole(cls, values: Sections) -> FileView:
        return cls(b"", list(values), None, values)

    def _numbers(self) -> dict[str, int]:
        if self._at is None:
            self._at = dict(zip(self._names, range(len(self._names))))
        return self._at

    def __getitem__(self, name: str) -> dict[str, str]:
        if name not in self._values:
            self.section(self._numbers()[name])  # KeyError for a name the file lacks
        return self._values[name]

    def section(self, i: int) -> dict[str, str]:
        """The values of section number i (parsed alone, by its bounds)."""
        name = self._names[i]
        if name not in self._values:
            span = self._table.span(i) if self._table else None
            values = sections.parse_one(self._data[span[0] : span[1]], name) if span else None
            if values is None:  # a damaged index, or a bug: read it all rather than guess
                return self._everything()[name]
            self._values[name] = values
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._numbers()

    def _everything(self) -> Sections:
        # Every value asked for: one parse of the whole file costs less than each section alone.
        if len(self._values) < len(self._names):
            count_parse()
            self._values = sections.parse(self._data)[0]
        return self._values

    def items(self):  # type: ignore[no-untyped-def,override]
        return self._everything().items()

    def values(self):  # type: ignore[no-untyped-def,override]
        return self._everything().values()

    def profiles(self) -> dict[str, int]:
        """For a config file: botocore's profile names (sections.config_profiles), in its order."""
        if self._profiles is None:
            at = self._numbers()
            self._profiles = {p: at[s] for p, s in sections.config_profiles(self._names).items()}
        return self._profiles

    def _profile_number(self, name: str) -> int | None:
        i = self.profiles()[name]  # KeyError for a profile the file lacks
        if not self._via_winners:
            return i
        assert self._table is not None
        number = self._table.winner(i)
        if number is None or not 0 <= number < len(self._names):
            return None
        # An index entry is taken only if it names this profile by botocore's rule (one regex).
        return number if sections.profile_of(self._names[number]) == name else None

    def profile(self, name: str) -> dict[str, str]:
        """The values of profile `name` of a config file (KeyError if it has none)."""
        number = self._profile_number(name)
        if number is None:  # a damaged entry: botocore's rule on the names, then the values of all
            return self._everything()[sections.config_profiles(self._names)[name]]
        return self.section(number)

    def setting(self, name: str) -> int:
        """sections.NOTABLE bits of section `name`; every bit (-1) where no index says."""
        return self._table.bits(self._numbers()[name]) if self._table else -1

    def flagged(self) -> list[str] | None:
        """The sections whose NOTABLE bits are set, from the index alone; None where no index says."""
        if self._table is None or len(self._table.bits_text) != len(self._names):
            return None
        import re

        return [self._names[m.start()] for m in re.finditer("[^0]", self._table.bits_text)]

    def profile_setting(self, name: str) -> int:
        """sections.NOTABLE bits of the section of config profile `name`; -1 where no index says."""
        number = self._profile_number(name)
        return self._table.bits(number) if self._table and number is not None else -1


def count_parse() -> None:
    """Count one parse of a whole file (tests read full_parses)."""
    global full_parses
    full_parses += 1


class ConfigProfiles(Mapping[str, dict[str, str]]):
    """The config file's profiles by botocore's names (`[profile NAME]`, `[default]`), values parsed when asked for."""

    def __init__(self, file: FileView) -> None:
        self.file = file
        self.names = file.profiles()

    def __getitem__(self, name: str) -> dict[str, str]:
        return self.file.profile(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def setting(self, name: str) -> int:
        """sections.NOTABLE bits of profile `name`'s section (-1: not known)."""
        return self.file.profile_setting(name)

    def flagged(self) -> list[str] | None:
        """The profiles whose section sets a NOTABLE key, from the index alone; None where no index says."""
        sections_set = self.file.flagged()
        if sections_set is None:
            return None
        names = (sections.profile_of(s) for s in sections_set)
        return [n for n in names if n is not None and n in self.names and self.setting(n)]


class Merged(Mapping[str, dict[str, str]]):
    """Every profile, the credentials file's values over the config file's (botocore's Session.full_config)."""

    def __init__(self, config: ConfigProfiles, creds: FileView) -> None:
        self.config, self.creds = config, creds
        # botocore's order: the config file's profiles, then the credentials file's others.
        self._names = {**dict.fromkeys(config), **dict.fromkeys(creds)}

    def __getitem__(self, name: str) -> dict[str, str]:
        if name not in self._names:
            raise KeyError(name)
        values = dict(self.config[name]) if name in self.config else {}
        if name in self.creds:
            values.update(self.creds[name])
        return values

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def holding_keys(self) -> list[str]:
        """The profiles whose sections may set a key or the keyring marker (sections.NOTABLE): the others set none."""
        config, creds = self.config.flagged(), self.creds.flagged()
        if config is not None and creds is not None:  # both indexed: the few flagged, not a look at each
            return list(dict.fromkeys([*config, *creds]))
        return [
            n
            for n in self._names
            if (n in self.config and self.config.setting(n)) or (n in self.creds and self.creds.setting(n))
        ]


class Nested(Mapping[str, dict[str, object]]):
    """Profiles as botocore's configloader gives them: an indented block (`s3 =` then lines) as a dict."""

    def __init__(self, profiles: Mapping[str, dict[str, str]]) -> None:
        self._profiles = profiles

    def __getitem__(self, name: str) -> dict[str, object]:
        return {k: sections.nested(v) for k, v in self._profiles[name].items()}

    def __iter__(self) -> Iterator[str]:
        return iter(self._profiles)

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, name: object) -> bool:
        return name in self._profiles
