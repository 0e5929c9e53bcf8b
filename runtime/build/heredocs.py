"""Here-documents in RUN, COPY and ADD: `<<EOF`, `<<-EOF`, `<<'EOF'`, `3<<EOF`.

A word of the instruction line that looks like `[fd]<<[-]NAME` opens a
here-document whose body is the following lines up to a line equal to NAME
(with leading tabs removed first when the `-` form is used). Quoting any part
of NAME (`'EOF'`, `"EOF"`, `E"O"F`) turns variable expansion off for the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.build.errors import ExpansionError
from runtime.build.lexer import LexerOptions, process_words

# Go: ^(\d*)<<(-?)\s*([^<]*)$ ; \d and \s are ASCII there.
_MARKER = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
# Heredoc markers are always lexed with a backslash escape, whatever `# escape=` says.
_NAME_WORDS = LexerOptions(escape="\\", skip_unset=True)
_NAME_WORDS_RAW = LexerOptions(escape="\\", skip_unset=True, raw_quotes=True)
_LINE_WORDS = LexerOptions(escape="\\", skip_unset=True, raw_quotes=True, raw_escapes=True)


class HeredocError(ValueError):
    """A here-document marker that cannot be read (an unbalanced quote)."""


@dataclass(frozen=True)
class Heredoc:
    """One here-document: its terminator, file descriptor, options and body."""

    name: str
    file_descriptor: int = 0
    expand: bool = True
    chomp: bool = False
    content: str = ""

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "name": self.name,
            "file_descriptor": self.file_descriptor,
            "expand": self.expand,
            "chomp": self.chomp,
            "content": self.content,
        }


def parse_heredoc(word: str) -> Heredoc | None:
    """The here-document a word opens, or None if the word is not a heredoc marker."""
    match = _MARKER.match(word)
    if not match:
        return None
    descriptor, dash, rest = match.groups()
    if not rest:
        return None
    try:
        words = process_words(rest, {}, _NAME_WORDS)
        if len(words) != 1:
            return None
        raw_words = process_words(rest, {}, _NAME_WORDS_RAW)
    except ExpansionError as error:
        raise HeredocError(str(error)) from None
    if len(raw_words) != len(words):
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    name, raw_name = words[0], raw_words[0]
    quotes = name.count("'") + name.count('"')
    raw_quotes = raw_name.count("'") + raw_name.count('"')
    return Heredoc(
        name=name,
        file_descriptor=int(descriptor) if descriptor else 0,
        expand=quotes == raw_quotes,
        chomp=dash == "-",
    )


def find_heredoc(word: str) -> Heredoc | None:
    """Like parse_heredoc, but a malformed marker counts as no heredoc."""
    try:
        return parse_heredoc(word)
    except HeredocError:
        return None


def heredocs_from_line(line: str) -> list[Heredoc]:
    """The here-documents an instruction line opens, in order (bodies still empty)."""
    try:
        words = process_words(line, {}, _LINE_WORDS)
    except ExpansionError:
        return []
    found = []
    for word in words:
        heredoc = parse_heredoc(word)
        if heredoc is not None:
            found.append(heredoc)
    return found


def chomp(content: str) -> str:
    """Remove the leading tabs of every line (the `<<-` form)."""
    return _LEADING_TABS.sub("", content)
