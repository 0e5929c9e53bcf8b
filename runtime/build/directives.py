"""Parser directives: `# syntax=`, `# escape=`, `# check=` at the very top of a Dockerfile.

Directives are comments of the form `# key=value` that come before anything
else. The first line that is not such a comment (a blank line, an
instruction, an ordinary comment, an unknown key) ends them for good; a later
`# escape=` is just a comment. Keys are case-insensitive and each may appear
once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from runtime.build.gotext import trim_left_space

SYNTAX = "syntax"
ESCAPE = "escape"
CHECK = "check"
KNOWN = (SYNTAX, ESCAPE, CHECK)
DEFAULT_ESCAPE = "\\"
UTF8_BOM = "\ufeff"

# Go's \s is [\t\n\f\r ]; `.` stops at a newline, as in Go.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")


class DirectiveError(ValueError):
    """A directive that is repeated, or an escape that is neither backslash nor backtick."""


@dataclass(frozen=True)
class Directive:
    """One parser directive as written: its lower-cased key, its value and its line."""

    name: str
    value: str
    line: int


@dataclass
class DirectiveScanner:
    """Reads directives line by line until the first line that cannot be one.

    Every physical line of the file is fed to `scan`, in order; lines after the
    directive block are counted but ignored.
    """

    comment: str = "#"
    line: int = 0
    done: bool = False
    found: list[Directive] = field(default_factory=list)

    def scan(self, text: str) -> Directive | None:
        """The directive on this line, or None (which, before `done`, ends the block)."""
        self.line += 1
        if self.done:
            return None
        if not text.startswith(self.comment):
            self.done = True
            return None
        match = _DIRECTIVE.match(trim_left_space(text[len(self.comment) :]))
        if not match:
            self.done = True
            return None
        name = match.group(1).lower()
        if name not in KNOWN:
            self.done = True
            return None
        if any(directive.name == name for directive in self.found):
            raise DirectiveError(f"only one {name} parser directive can be used")
        directive = Directive(name=name, value=match.group(2), line=self.line)
        self.found.append(directive)
        return directive


def validate_escape(value: str) -> str:
    """The escape token a `# escape=` value selects; only backslash and backtick exist."""
    if value not in ("`", "\\"):
        raise DirectiveError(f"invalid escape token '{value}' does not match ` or \\")
    return value


@dataclass(frozen=True)
class Directives:
    """The directives of one Dockerfile, as pure data."""

    syntax: str | None = None
    escape: str = DEFAULT_ESCAPE
    check: str | None = None
    all: tuple[Directive, ...] = ()

    @classmethod
    def from_found(cls, found: list[Directive]) -> Directives:
        """Directives from the scanner's findings (escape already validated while scanning)."""
        values = {directive.name: directive.value for directive in found}
        return cls(
            syntax=values.get(SYNTAX),
            escape=values.get(ESCAPE, DEFAULT_ESCAPE),
            check=values.get(CHECK),
            all=tuple(found),
        )

    @property
    def frontend(self) -> str | None:
        """The frontend image named by `# syntax=` (its first word), if any."""
        if self.syntax is None:
            return None
        return self.syntax.split(" ", 1)[0]


def detect_syntax(text: str) -> Directive | None:
    """The `syntax` directive as BuildKit's front door finds it before parsing.

    A leading `#!` line is skipped, a BOM is ignored and `// syntax=` comments
    are accepted too, as BuildKit does when choosing a frontend.
    """
    if text.startswith(UTF8_BOM):
        text = text[len(UTF8_BOM) :]
    first, _, rest = text.partition("\n")
    offset = 0
    if first.startswith("#!"):
        text, offset = rest, 1
    for prefix in ("#", "//"):
        scanner = DirectiveScanner(comment=prefix, line=offset)
        try:
            for line in text.split("\n"):
                if scanner.done:
                    break
                scanner.scan(line)
        except DirectiveError:
            pass
        for directive in scanner.found:
            if directive.name == SYNTAX:
                return directive
    return None
