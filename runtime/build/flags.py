"""The `--name[=value]` flags of an instruction, checked as BuildKit checks them.

An instruction declares the flags it knows (boolean, string, or repeatable
string) and then parses the words the parser extracted; unknown, repeated
and value-less flags are errors worded as BuildKit words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from runtime.build.suggestions import with_suggestion


class FlagError(ValueError):
    """A flag that is unknown, repeated, missing its value or given a bad one."""


class FlagKind(Enum):
    """What a flag takes."""

    BOOL = "bool"
    STRING = "string"
    STRINGS = "strings"


@dataclass
class _Flag:
    kind: FlagKind
    value: str = ""
    values: list[str] = field(default_factory=list)
    used: bool = False


class FlagSet:
    """The flags one instruction accepts, and after `parse`, their values."""

    def __init__(self, words: tuple[str, ...]):
        self.words = words
        self._flags: dict[str, _Flag] = {}

    def add_bool(self, name: str, default: bool = False) -> None:
        """Declare `--name` / `--name=true|false`."""
        self._flags[name] = _Flag(FlagKind.BOOL, "true" if default else "false")

    def add_string(self, name: str, default: str = "") -> None:
        """Declare `--name=value` (once)."""
        self._flags[name] = _Flag(FlagKind.STRING, default)

    def add_strings(self, name: str) -> None:
        """Declare `--name=value`, repeatable."""
        self._flags[name] = _Flag(FlagKind.STRINGS)

    def parse(self) -> None:
        """Read the words into the declared flags; raises FlagError."""
        for word in self.words:
            if word == "--":
                return
            if not word.startswith("--"):
                raise FlagError(f"arg should start with -- : {word}")
            spelled, has_value, value = word.partition("=")
            name = spelled[2:]
            flag = self._flags.get(name)
            if flag is None:
                raise FlagError(
                    with_suggestion(f"unknown flag: {spelled}", name, self._flags, True)
                )
            if flag.used and flag.kind is not FlagKind.STRINGS:
                raise FlagError(f"duplicate flag specified: {spelled}")
            flag.used = True
            if flag.kind is FlagKind.BOOL:
                if has_value and value == "":
                    raise FlagError(f"missing a value on flag: {spelled}")
                if value.lower() in ("true", ""):
                    flag.value = "true"
                elif value.lower() == "false":
                    flag.value = "false"
                else:
                    raise FlagError(f"expecting boolean value for flag {spelled}, not: {value}")
            elif not has_value:
                raise FlagError(f"missing a value on flag: {spelled}")
            elif flag.kind is FlagKind.STRING:
                flag.value = value
            else:
                flag.values.append(value)

    def string(self, name: str) -> str:
        """The value of a string flag (its default when not given)."""
        return self._flags[name].value

    def boolean(self, name: str) -> bool:
        """The value of a boolean flag."""
        return self._flags[name].value == "true"

    def optional_boolean(self, name: str) -> bool | None:
        """A boolean flag's value, or None when it was not given at all."""
        flag = self._flags[name]
        return flag.value == "true" if flag.used else None

    def strings(self, name: str) -> tuple[str, ...]:
        """The values of a repeatable flag, in order."""
        return tuple(self._flags[name].values)

    def used(self) -> tuple[str, ...]:
        """The names of the flags that were given, in declaration order."""
        return tuple(name for name, flag in self._flags.items() if flag.used)
