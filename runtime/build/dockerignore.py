"""`.dockerignore` patterns: reading the file and matching paths as BuildKit does.

Patterns use Go's filepath.Match syntax (`*`, `?`, `[...]`, backslash
escapes) plus `**` for any number of directories; a leading `!` makes an
exception. Paths and patterns are cleaned (`./a/../b/` is `b`) and a leading
`/` means the context root. The last pattern that matches a path decides; a
pattern that matches a directory matches everything under it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

import re2

from runtime.build.errors import IgnorePatternError
from runtime.build.gotext import trim_space

BAD_PATTERN = "syntax error in pattern"
_REGEX_ESCAPED = frozenset(".+()|{}$")


def clean_path(path: str) -> str:
    """Go's path.Clean: the shortest equivalent slash path (`""` is `.`)."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def read_ignore_file(text: str | bytes) -> list[str]:
    """The patterns of a .dockerignore file, cleaned, comments and blank lines dropped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    patterns = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line.startswith("#"):
            continue
        pattern = trim_space(line)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = trim_space(pattern[1:])
        if pattern:
            pattern = clean_path(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


class _BadPattern(Exception):
    pass


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range = False
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        if ch == "\\" and index + 1 < len(pattern):
            index += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            break
        index += 1
    return star, pattern[:index], pattern[index:]


def _class_char(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise _BadPattern
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise _BadPattern
    if len(chunk) < 2:
        raise _BadPattern
    return chunk[0], chunk[1:]


def _match_chunk(chunk: str, name: str) -> str | None:
    """The rest of `name` after `chunk` matched its start, else None; checks the whole chunk."""
    failed = False
    while chunk:
        if not failed and not name:
            failed = True
        ch = chunk[0]
        if ch == "[":
            current = ""
            if not failed:
                current, name = name[0], name[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            matched = False
            ranges = 0
            while True:
                if chunk.startswith("]") and ranges > 0:
                    chunk = chunk[1:]
                    break
                low, chunk = _class_char(chunk)
                high = low
                if chunk[0] == "-":
                    high, chunk = _class_char(chunk[1:])
                if low <= current <= high and current:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif ch == "?":
            if not failed:
                failed = name[0] == "/"
                name = name[1:]
            chunk = chunk[1:]
        else:
            if ch == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPattern
            if not failed:
                failed = chunk[0] != name[0]
                name = name[1:]
            chunk = chunk[1:]
    return None if failed else name


def filepath_match(pattern: str, name: str) -> bool:
    """Go's filepath.Match; raises IgnorePatternError for the malformations it detects."""
    try:
        while pattern:
            star, chunk, pattern = _scan_chunk(pattern)
            if star and not chunk:
                return "/" not in name
            rest = _match_chunk(chunk, name)
            if rest is not None and (not rest or pattern):
                name = rest
                continue
            if star:
                rest = _skip_to_match(chunk, pattern, name)
                if rest is not None:
                    name = rest
                    continue
            return False
        return not name
    except _BadPattern:
        raise IgnorePatternError(BAD_PATTERN) from None


def _skip_to_match(chunk: str, pattern: str, name: str) -> str | None:
    """After a star: the rest of `name` once `chunk` matches further on (never past a `/`)."""
    for index in range(len(name)):
        if name[index] == "/":
            return None
        rest = _match_chunk(chunk, name[index + 1 :])
        if rest is not None and (pattern or not rest):
            return rest
    return None


def validate_pattern(pattern: str) -> None:
    """Raise IgnorePatternError where BuildKit's check (`filepath.Match(p, ".")`) does."""
    filepath_match(pattern, ".")


_PERL_CLASSES = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_CONTROL = {"a": "\\x07", "f": "\\x0c", "t": "\\t", "n": "\\n", "r": "\\r", "v": "\\x0b"}
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\x0b\\x0c\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def _escape(ch: str, in_class: bool) -> str:
    """Go's regexp meaning of a backslash escape, as Python regex text."""
    if not ch.isalnum():
        return re.escape(ch)
    if ch in _CONTROL:
        return _CONTROL[ch]
    if ch in _PERL_CLASSES:
        return _PERL_CLASSES[ch] if in_class else f"[{_PERL_CLASSES[ch]}]"
    if ch.upper() == ch and ch.lower() in _PERL_CLASSES and not in_class:
        return f"[^{_PERL_CLASSES[ch.lower()]}]"
    if not in_class and ch in "bBA":
        return "\\" + ch
    if not in_class and ch == "z":
        return "\\Z"
    raise IgnorePatternError(BAD_PATTERN)


def _go_regex_to_python(regex: str) -> str:
    """Python regex text that matches what Go's regexp matches for `regex` (no flags)."""
    out: list[str] = []
    index = 0
    while index < len(regex):
        ch = regex[index]
        index += 1
        if ch == "\\":
            if index >= len(regex):
                raise IgnorePatternError(BAD_PATTERN)
            out.append(_escape(regex[index], in_class=False))
            index += 1
        elif ch == "[":
            text, index = _go_class_to_python(regex, index)
            out.append(text)
        elif ch == "$":
            out.append("\\Z")
        else:
            out.append(ch)
    return "".join(out)


def _go_class_to_python(regex: str, index: int) -> tuple[str, int]:
    """Translate a Go class body starting after `[`; returns the text and the index after `]`."""
    out = ["["]
    if regex.startswith("^", index):
        out.append("^")
        index += 1
    first = True
    while index < len(regex) and (regex[index] != "]" or first):
        first = False
        if regex.startswith("[:", index):
            end = regex.find(":]", index + 2)
            name = regex[index + 2 : end] if end >= 0 else ""
            if name in _POSIX_CLASSES:
                out.append(_POSIX_CLASSES[name])
                index = end + 2
                continue
        ch = regex[index]
        index += 1
        if ch == "\\":
            if index >= len(regex):
                raise IgnorePatternError(BAD_PATTERN)
            out.append(_escape(regex[index], in_class=True))
            index += 1
        elif ch in "[]\\^&~|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    if index >= len(regex):
        raise IgnorePatternError(BAD_PATTERN)
    out.append("]")
    return "".join(out), index + 1


@dataclass
class Pattern:
    """One cleaned pattern and how it matches (exactly, by prefix, by suffix or by regex)."""

    text: str
    exclusion: bool
    kind: str = ""
    regex: re2._Regexp | None = field(default=None, repr=False)

    @property
    def dirs(self) -> list[str]:
        """The pattern's path elements."""
        return self.text.split("/")

    def compile(self) -> None:
        """Work out the match kind (and regex) exactly as patternmatcher does."""
        regex = "^"
        kind = "exact"
        pattern = self.text
        index = 0
        step = 0
        while index < len(pattern):
            ch = pattern[index]
            index += 1
            if ch == "*" and pattern.startswith("*", index):
                index += 1
                if pattern.startswith("/", index):
                    index += 1
                if index >= len(pattern):
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regex"
                else:
                    regex += "(.*/)?"
                    kind = "regex"
                if step == 0:
                    kind = "suffix"
            elif ch == "*":
                regex += "[^/]*"
                kind = "regex"
            elif ch == "?":
                regex += "[^/]"
                kind = "regex"
            elif ch in _REGEX_ESCAPED:
                regex += "\\" + ch
            elif ch == "\\":
                if index < len(pattern):
                    regex += "\\" + pattern[index]
                    index += 1
                    kind = "regex"
                else:
                    regex += "\\"
            elif ch in "[]":
                regex += ch
                kind = "regex"
            else:
                regex += ch
            step += 1
        self.kind = kind
        if kind == "regex":
            try:
                re.compile(_go_regex_to_python(regex + "$"))  # refuses what Go's parser refuses
                # Matched by RE2, Go's own engine: linear time, where a backtracking engine
                # takes exponential time on `**/**/**/...` against a deep path.
                self.regex = re2.compile(regex + "$")
            except (re.error, re2.error):
                raise IgnorePatternError(BAD_PATTERN) from None

    def match(self, path: str) -> bool:
        """Whether the cleaned, slash-separated `path` matches this pattern.

        The pattern is compiled on first use, so a malformation the up-front check
        missed is reported only if the pattern is ever consulted (as in BuildKit).
        """
        if not self.kind:
            self.compile()
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None

    def without_trailing_glob(self) -> str:
        """The pattern less a final `/**` or `/*` (to see which directories it can reach)."""
        text = self.text
        if text.endswith("/**"):
            text = text[:-3]
        if text.endswith("/*"):
            text = text[:-2]
        return text


@dataclass(frozen=True)
class ParentMatch:
    """Per pattern, whether a directory matched it; handed down to its children."""

    matched: tuple[bool, ...] = ()


class PatternMatcher:
    """An ordered list of patterns and exceptions; the last that matches decides."""

    def __init__(self, patterns: list[str]):
        self.patterns: list[Pattern] = []
        for text in patterns:
            text = trim_space(text)
            if not text:
                continue
            text = clean_path(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise IgnorePatternError('illegal exclusion pattern: "!"')
                text = text[1:]
            validate_pattern(text)
            self.patterns.append(Pattern(text, exclusion))

    @property
    def has_exclusions(self) -> bool:
        """Whether any pattern is a `!` exception."""
        return any(pattern.exclusion for pattern in self.patterns)

    def matches(self, path: str) -> bool:
        """Whether `path` (or one of its parent directories) is matched and not excepted."""
        return self.match_with_parent(path, ParentMatch())[0]

    def match_with_parent(self, path: str, parent: ParentMatch) -> tuple[bool, ParentMatch]:
        """Match `path` using its parent directory's result; returns the result to hand down."""
        matched = False
        results: list[bool] = []
        parent_dir = posixpath.dirname(path)
        for index, pattern in enumerate(self.patterns):
            hit = parent.matched[index] if parent.matched else False
            if not hit:
                if pattern.exclusion != matched:
                    results.append(False)
                    continue
                hit = pattern.match(path)
                if not hit and not parent.matched and parent_dir not in ("", "."):
                    elements = parent_dir.split("/")
                    hit = any(
                        pattern.match("/".join(elements[: count + 1]))
                        for count in range(len(elements))
                    )
            results.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, ParentMatch(tuple(results))
