"""`.env` and `env_file` files: `KEY=value` lines, quotes, comments and interpolation.

The format is Compose's: `export` is allowed, `KEY: value` works too, `# comments`
and inline comments after unquoted values are dropped, single quotes are
literal, double quotes understand `\\n`, `\\t`, `\\"`, `\\\\` and may span lines,
and `${VAR}` is substituted in unquoted and double-quoted values from the given
environment first, then from the keys above it. A bare `KEY` takes its value
from the environment (and is left out when that has none). The `raw` format
takes every `KEY=VALUE` line literally.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from specs.errors import Location, SpecError
from specs.interpolation import InterpolationError, substitute
from specs.textfiles import read_text

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$$"}


def read_env_file(
    path: Path, display_name: str, environment: Mapping[str, str], *, raw: bool = False
) -> dict[str, str]:
    """Read one env file; `environment` resolves `${VAR}` and bare keys."""
    text = read_text(path, display_name)
    if raw:
        return parse_raw(text, display_name)
    return parse(text, display_name, environment)


def parse_raw(text: str, display_name: str) -> dict[str, str]:
    """`KEY=VALUE` lines taken literally (blank lines and `#` comments skipped)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not key or any(char.isspace() for char in key):
            raise SpecError(f'"{line}" is not a KEY=VALUE line', Location(display_name, number, 1))
        if equals:
            values[key] = value
    return values


def parse(text: str, display_name: str, environment: Mapping[str, str]) -> dict[str, str]:
    """Parse env-file text; interpolation looks in `environment`, then in earlier keys."""
    return _Reader(text, display_name, environment).read()


class _Reader:
    """A cursor over the text of one env file."""

    def __init__(self, text: str, display_name: str, environment: Mapping[str, str]):
        self.text = text.replace("\r\n", "\n")
        self.display_name = display_name
        self.environment = environment
        self.position = 0
        self.values: dict[str, str] = {}

    def location(self, position: int | None = None) -> Location:
        at = self.position if position is None else position
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return Location(self.display_name, line, column)

    def fail(self, message: str, position: int | None = None) -> SpecError:
        return SpecError(message, self.location(position))

    def read(self) -> dict[str, str]:
        while self.position < len(self.text):
            self._skip_blank()
            if self.position >= len(self.text):
                break
            if self.text[self.position] == "#":
                self._skip_line()
                continue
            self._entry()
        return self.values

    def _skip_blank(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in " \t\n":
            self.position += 1

    def _skip_line(self) -> None:
        end = self.text.find("\n", self.position)
        self.position = len(self.text) if end < 0 else end + 1

    def _entry(self) -> None:
        start = self.position
        end = self.text.find("\n", start)
        end = len(self.text) if end < 0 else end
        line = self.text[start:end]
        if line.startswith("export ") or line.startswith("export\t"):
            self.position += len("export")
            self._skip_spaces()
        key_start = self.position
        while self.position < end and self.text[self.position] not in "=: \t":
            self.position += 1
        key = self.text[key_start : self.position]
        self._skip_spaces()
        if not key:
            raise self.fail(f'"{line.strip()}" is not a KEY=VALUE line', start)
        if self.position >= end or self.text[self.position] == "#":
            self._skip_line()
            inherited = self.environment.get(key, self.values.get(key))
            if inherited is not None:
                self.values[key] = inherited
            return
        separator = self.text[self.position]
        if separator not in "=:":
            raise self.fail(f"the key '{key}' must not contain spaces", key_start)
        self.position += 1
        self._skip_spaces()
        self.values[key] = self._value(key)

    def _skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in " \t":
            self.position += 1

    def _value(self, key: str) -> str:
        quote = self.text[self.position : self.position + 1]
        if quote in ("'", '"'):
            return self._quoted(key, quote)
        end = self.text.find("\n", self.position)
        end = len(self.text) if end < 0 else end
        raw = self.text[self.position : end]
        comment = _inline_comment(raw)
        if comment >= 0:
            raw = raw[:comment]
        value_start = self.position
        self.position = end + 1
        return self._interpolate(raw.strip(), value_start)

    def _quoted(self, key: str, quote: str) -> str:
        start = self.position
        self.position += 1
        pieces: list[str] = []
        while True:
            if self.position >= len(self.text):
                raise self.fail(f"the value of '{key}' has no closing {quote}", start)
            char = self.text[self.position]
            if char == quote:
                self.position += 1
                break
            if char == "\\" and quote == '"':
                following = self.text[self.position + 1 : self.position + 2]
                pieces.append(_ESCAPES.get(following, "\\" + following))
                self.position += 2
                continue
            if char == "$" and quote == "'":
                char = "$$"
            pieces.append(char)
            self.position += 1
        self._skip_spaces()
        end = self.text.find("\n", self.position)
        end = len(self.text) if end < 0 else end
        rest = self.text[self.position : end]
        if rest and not rest.startswith("#"):
            raise self.fail(f"unexpected text after the quoted value of '{key}'", self.position)
        self.position = end + 1
        return self._interpolate("".join(pieces), start)

    def _interpolate(self, value: str, position: int) -> str:
        lookup = _Chain(self.environment, self.values)
        try:
            return substitute(value, lookup).text
        except InterpolationError as exc:
            raise self.fail(str(exc), position) from None


def _inline_comment(raw: str) -> int:
    """Index of a ` #` comment in an unquoted value, or -1."""
    for index, char in enumerate(raw):
        if char == "#" and index > 0 and raw[index - 1] in " \t":
            return index
    return -1


class _Chain(Mapping[str, str]):
    """Look in the environment first, then in the keys read so far."""

    def __init__(self, first: Mapping[str, str], second: Mapping[str, str]):
        self.first = first
        self.second = second

    def __getitem__(self, key: str) -> str:
        if key in self.first:
            return self.first[key]
        return self.second[key]

    def __iter__(self) -> Iterator[str]:
        yield from {**self.second, **self.first}

    def __len__(self) -> int:
        return len({**self.second, **self.first})
