"""The spec language's exception family: SpecError carries file, line, column and key path."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A value echoed back in a message is cut to this: a 10 MB value makes a 10 MB error line otherwise.
LONGEST_WORD = 256
_LONG_WORD = re.compile(rf"\S{{{LONGEST_WORD + 1},}}")


_CONTROL = {code: f"\\x{code:02x}" for code in range(32) if code != 9} | {10: "\\n", 13: "\\r"}


def _shorten(match: re.Match[str]) -> str:
    word = match.group(0)
    closing = word[-1] if word[-1] in "\"'" else ""
    return f"{word[:80]}…{closing} ({len(word)} characters)"


@dataclass(frozen=True)
class Location:
    """Where in which file a value came from (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SpecError(Exception):
    """An invalid app file: `file:line:col: key.path: what is wrong (what was expected)`."""

    def __init__(self, message: str, location: Location | None = None, path: str | None = None):
        self.message = message
        self.location = location
        self.path = path
        prefix = f"{location}: " if location else ""
        key = f"{path}: " if path else ""
        text = _LONG_WORD.sub(_shorten, f"{prefix}{key}{message}")
        # One line, whatever the value echoed back holds.
        super().__init__(text.translate(_CONTROL))
