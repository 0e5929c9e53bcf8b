"""The spec language's exception family: SpecError carries file, line, column and key path."""

from __future__ import annotations

from dataclasses import dataclass


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
        super().__init__(f"{prefix}{key}{message}")
