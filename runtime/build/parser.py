"""From Dockerfile text to a syntax tree: lines, continuations, comments, directives, heredocs.

The rules are BuildKit's: parser directives are read from the top; a line
ending in the escape character continues on the next line, and comment lines
and blank lines inside a continuation are skipped (blank ones with a
warning); leading white space is removed from the first line of an
instruction only; each instruction's arguments are read by its grammar; an
instruction that opens here-documents takes the following lines as their
bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from runtime.build import arguments
from runtime.build.directives import (
    DEFAULT_ESCAPE,
    ESCAPE,
    UTF8_BOM,
    DirectiveError,
    Directives,
    DirectiveScanner,
    validate_escape,
)
from runtime.build.errors import DockerfileError
from runtime.build.gotext import trim_left_space, trim_space
from runtime.build.heredocs import Heredoc, HeredocError, heredocs_from_line
from runtime.build.syntax_tree import Node

_HEREDOC_INSTRUCTIONS = frozenset({"add", "copy", "run"})


@dataclass(frozen=True)
class ParseWarning:
    """Something BuildKit accepts but warns about (an empty continuation line)."""

    message: str
    line: int


@dataclass(frozen=True)
class SyntaxTree:
    """A parsed Dockerfile: its instructions as nodes, its directives and warnings."""

    nodes: tuple[Node, ...]
    directives: Directives
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def escape(self) -> str:
        """The escape character in force (`\\` unless `# escape=` chose a backtick)."""
        return self.directives.escape


def _continuation(escape: str) -> re.Pattern[str]:
    # An escape at the end of a line, unless preceded by another escape (or alone).
    token = re.escape(escape)
    return re.compile(rf"([^{token}]){token}[ \t]*\Z|^{token}[ \t]*\Z")


def _split_lines(text: str) -> list[str]:
    """Lines with their line endings, as Go's line scanner hands them out."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return trim_left_space(line).startswith("#")


class _Reader:
    """The parse of one file: a cursor over its lines and the state directives set."""

    def __init__(self, text: str, filename: str):
        self.lines = _split_lines(text)
        self.index = 0
        self.line_number = 0
        self.filename = filename
        self.directives = DirectiveScanner()
        self.escape = DEFAULT_ESCAPE
        self.continuation = _continuation(DEFAULT_ESCAPE)
        self.warnings: list[ParseWarning] = []

    def error(self, message: str, start: int, end: int = 0) -> DockerfileError:
        return DockerfileError(message, self.filename, start, end)

    def take(self) -> str | None:
        if self.index >= len(self.lines):
            return None
        line = self.lines[self.index]
        self.index += 1
        return line

    def process(self, raw: str, strip_left: bool) -> tuple[str, bool]:
        """The line without newline (and comment), and whether it was a directive."""
        token = _trim_newline(raw)
        if strip_left:
            token = trim_left_space(token)
        try:
            directive = self.directives.scan(token)
            if directive is not None and directive.name == ESCAPE:
                self.escape = validate_escape(directive.value)
                self.continuation = _continuation(self.escape)
        except DirectiveError as error:
            raise self.error(str(error), self.line_number + 1) from None
        return ("" if _is_comment(token) else token), directive is not None

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """The line without its continuation escape, and whether the instruction ends here."""
        if self.continuation.search(line):
            return self.continuation.sub(r"\1", line), False
        return line, True


def parse_syntax(text: str | bytes, filename: str = "Dockerfile") -> SyntaxTree:
    """Parse Dockerfile text into a syntax tree; errors name the file and line."""
    if isinstance(text, bytes):
        if text.startswith(UTF8_BOM.encode()):
            text = text[len(UTF8_BOM.encode()) :]
        text = text.decode("utf-8", "replace")
    elif text.startswith(UTF8_BOM):
        text = text[len(UTF8_BOM) :]
    reader = _Reader(text, filename)
    nodes: list[Node] = []
    comments: list[str] = []
    while (raw := reader.take()) is not None:
        if _is_comment(raw):
            comment = trim_space(raw[1:])
            comments = [*comments, comment] if comment else []
        token, was_directive = reader.process(raw, strip_left=True)
        if was_directive:
            comments = comments[:-1]
        reader.line_number += 1
        start = reader.line_number
        token, ended = reader.trim_continuation(token)
        if ended and not token:
            continue
        line = _join_continuation(reader, token, ended)
        node = _node_from_line(reader, line, tuple(comments), start)
        heredocs = _read_heredocs(reader, node, line, start)
        nodes.append(
            replace(node, start_line=start, end_line=reader.line_number, heredocs=heredocs)
        )
        comments = []
    if not nodes:
        raise reader.error("file with no instructions", reader.line_number)
    return SyntaxTree(
        nodes=tuple(nodes),
        directives=Directives.from_found(reader.directives.found),
        warnings=tuple(reader.warnings),
    )


def _join_continuation(reader: _Reader, first: str, ended: bool) -> str:
    parts = [first]
    empty_line = False
    while not ended:
        raw = reader.take()
        if raw is None:
            break
        token, _ = reader.process(raw, strip_left=False)
        reader.line_number += 1
        if _is_comment(raw):
            continue
        if not trim_left_space(_trim_newline(token)):
            empty_line = True
            continue
        token, ended = reader.trim_continuation(token)
        parts.append(token)
    line = "".join(parts)
    if empty_line:
        reader.warnings.append(
            ParseWarning(f"Empty continuation line found in: {line}", reader.line_number)
        )
    return line


def _node_from_line(reader: _Reader, line: str, comments: tuple[str, ...], start: int) -> Node:
    try:
        return node_from_line(line, reader.escape, comments)
    except arguments.ArgumentError as error:
        raise reader.error(str(error), start, reader.line_number) from None


def node_from_line(line: str, escape: str, comments: tuple[str, ...] = ()) -> Node:
    """One instruction line (continuations already joined) as a node without heredoc bodies."""
    keyword, flags, rest = arguments.split_command(line, escape)
    command = keyword.lower()
    if command == "onbuild":
        child = node_from_line(rest, escape) if rest else None
        args = (child.keyword, *child.args) if child is not None else ()
        return Node(keyword, args, flags, False, line, comments=comments, child=child)
    grammar = arguments.GRAMMARS.get(command)
    if grammar is None:
        return Node(keyword, (), flags, False, line, comments=comments, known=False)
    parsed = grammar(rest, escape)
    return Node(keyword, parsed.words, flags, parsed.json, line, comments=comments)


def _may_have_heredocs(node: Node) -> bool:
    target = node.child if node.command == "onbuild" and node.child is not None else node
    return target.command in _HEREDOC_INSTRUCTIONS and not target.json


def _read_heredocs(reader: _Reader, node: Node, line: str, start: int) -> tuple[Heredoc, ...]:
    """The here-documents the node opens, with their bodies read from the following lines."""
    if not _may_have_heredocs(node) or "<<" not in line:
        return ()
    try:
        opened = heredocs_from_line(line)
    except HeredocError as error:
        raise reader.error(str(error), start, reader.line_number) from None
    bodies: list[Heredoc] = []
    for heredoc in opened:
        content: list[str] = []
        terminated = False
        while (raw := reader.take()) is not None:
            reader.line_number += 1
            candidate = _trim_newline(raw)
            if heredoc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == heredoc.name:
                terminated = True
                break
            content.append(raw)
        if not terminated:
            raise reader.error("unterminated heredoc", start, reader.line_number)
        bodies.append(replace(heredoc, content="".join(content)))
    return tuple(bodies)
