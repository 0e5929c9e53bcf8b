"""Variable substitution and word splitting as BuildKit's shell lexer does them.

`process_word` expands `$v`, `${v}`, `${v:-w}`, `${v-w}`, `${v:+w}`, `${v+w}`,
`${v:?e}`, `${v?e}`, `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}` and
`${v//p/r}`, removes quotes and escapes, and keeps spaces; `process_words`
also splits the result into words the way a shell would after expansion.
This is not a shell: command substitution, arithmetic and globbing are left
alone, exactly as in a Dockerfile.

One behaviour is kept on purpose because Dockerfiles depend on BuildKit's
results: when splitting into words, the text gathered before a
`${name<modifier>...}` in the same word is dropped (BuildKit's word buffer is
shared with the nested expansion).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import re2

from runtime.build.errors import ExpansionError
from runtime.build.gotext import SPACE_CHARACTERS, is_digit, is_letter, is_space, quote

EOF_CHAR = ""
_SPECIAL_PARAMETERS = "@*#?-$!0"
_PATTERN_SPECIALS = "[]{}.+()|^$"
_RUNE_ERROR = "\ufffd"
_RUNS = re.compile(f"[{re.escape(SPACE_CHARACTERS)}]+|[^{re.escape(SPACE_CHARACTERS)}]+")
# `${a:-${b:-...}}` nests a few levels in real files; deeper is hostile and would exhaust the stack.
MAX_NESTING = 64
# ENV A=$A$A doubles a value per line: 40 lines would ask for a terabyte.
MAX_EXPANSION = 16 << 20


@dataclass(frozen=True)
class LexerOptions:
    """How a word is processed; the defaults are those of Dockerfile instructions."""

    escape: str = "\\"
    raw_quotes: bool = False  # keep quote characters in the result
    raw_escapes: bool = False  # keep escape characters in the result
    skip_unset: bool = False  # leave references to unset variables as written
    skip_quotes: bool = False  # treat quotes as ordinary characters


DEFAULT_OPTIONS = LexerOptions()


@dataclass(frozen=True)
class Expansion:
    """A processed word: the result, and which variables were found set or unset."""

    result: str
    words: tuple[str, ...]
    matched: frozenset[str]
    unmatched: frozenset[str]


class _Failure(Exception):
    """An expansion error before it is given the word it happened in."""


class _Words:
    """Collects split words; its buffer is the lexer's shared one (see module docstring)."""

    def __init__(self, buffer: list[str]):
        self.buffer = buffer
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and self.buffer:
                self.words.append("".join(self.buffer))
                self.buffer.clear()
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.buffer.append(ch)
        self.in_word = True

    def add_string(self, text: str) -> None:
        # Run by run rather than character by character: a value can be megabytes long.
        for run in _RUNS.findall(text):
            if is_space(run[0]):
                self.add_char(run[0])
            else:
                self.add_raw_char(run)

    def add_raw_string(self, text: str) -> None:
        if text:
            self.buffer.append(text)
        self.in_word = True

    def finish(self) -> list[str]:
        if self.buffer:
            self.words.append("".join(self.buffer))
            self.buffer.clear()
            self.in_word = False
        return self.words


class _ShellWord:
    """One pass over one word."""

    def __init__(self, text: str, env: Mapping[str, str], options: LexerOptions):
        self.text = text
        self.pos = 0
        self.env = env
        self.options = options
        self.raw_escapes = options.raw_escapes
        self.word_buffer: list[str] = []
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()
        self.depth = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else EOF_CHAR

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def get_env(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.matched.add(name)
            return self.env[name], True
        self.unmatched.add(name)
        return "", False

    def process_until(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        """Process up to `stop` (consumed) or to the end when `stop` is EOF_CHAR."""
        result: list[str] = []
        self.word_buffer.clear()
        words = _Words(self.word_buffer)
        escape = self.options.escape
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            while self.peek() != EOF_CHAR:
                ch = self.peek()
                if stop and ch == stop:
                    self.next()
                    return "".join(result), words.finish()
                special = self._special(ch)
                if special is not None:
                    text = special()
                    result.append(text)
                    if ch == "$":
                        words.add_string(text)
                    else:
                        words.add_raw_string(text)
                    continue
                ch = self.next()
                if ch == escape:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        result.append(ch)
                    ch = self.next()
                    if ch == EOF_CHAR:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
            if stop:
                raise _Failure(f"unexpected end of statement while looking for matching {stop}")
            return "".join(result), words.finish()
        finally:
            self.raw_escapes = saved

    def _special(self, ch: str) -> Callable[[], str] | None:
        if ch == "$":
            return self.process_dollar
        if ch == "<":
            return self.process_possible_heredoc
        if not self.options.skip_quotes:
            if ch == "'":
                return self.process_single_quote
            if ch == '"':
                return self.process_double_quote
        return None

    def process_single_quote(self) -> str:
        result: list[str] = []
        ch = self.next()
        if self.options.raw_quotes:
            result.append(ch)
        while True:
            ch = self.next()
            if ch == EOF_CHAR:
                raise _Failure(
                    "unexpected end of statement while looking for matching single-quote"
                )
            if ch == "'":
                if self.options.raw_quotes:
                    result.append(ch)
                return "".join(result)
            result.append(ch)

    def process_double_quote(self) -> str:
        result: list[str] = []
        ch = self.next()
        if self.options.raw_quotes:
            result.append(ch)
        escape = self.options.escape
        while True:
            following = self.peek()
            if following == EOF_CHAR:
                raise _Failure(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if following == '"':
                ch = self.next()
                if self.options.raw_quotes:
                    result.append(ch)
                return "".join(result)
            if following == "$":
                result.append(self.process_dollar())
                continue
            ch = self.next()
            if ch == escape:
                if self.raw_escapes:
                    result.append(ch)
                following = self.peek()
                if following == EOF_CHAR:
                    continue
                if following in ('"', "$", escape):
                    ch = self.next()
            result.append(ch)

    def process_possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        spaces: list[str] = []
        while self.peek() in ("\t", "\r", " ") and self.peek() != EOF_CHAR:
            spaces.append(self.next())
        return "<<" + "".join(spaces)

    def process_name(self) -> str:
        name: list[str] = []
        while self.peek() != EOF_CHAR:
            ch = self.peek()
            if not name and is_digit(ch):
                while self.peek() != EOF_CHAR and is_digit(self.peek()):
                    name.append(self.next())
                return "".join(name)
            if not name and ch in _SPECIAL_PARAMETERS:
                return self.next()
            if not (is_letter(ch) or is_digit(ch) or ch == "_"):
                break
            name.append(self.next())
        return "".join(name)

    def process_dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            value, found = self.get_env(name)
            if not found and self.options.skip_unset:
                return "$" + name
            return value
        self.next()
        following = self.peek()
        if following == EOF_CHAR:
            raise _Failure("syntax error: missing '}'")
        if following in "{}:":
            raise _Failure("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        if ch == EOF_CHAR:
            # BuildKit reports an unreadable "unsupported modifier (\ufffd)" here.
            raise _Failure("syntax error: missing '}'")
        modifier = ch
        if ch == "}":
            value, found = self.get_env(name)
            if not found and self.options.skip_unset:
                return "${" + name + "}"
            return value
        if self.depth >= MAX_NESTING:
            raise _Failure(f"variables nest more than {MAX_NESTING} levels deep")
        self.depth += 1
        try:
            if ch == ":":
                ch = self.next()
                modifier += ch or _RUNE_ERROR
                return self._modified(name, ch, modifier, null_is_unset=True)
            if ch and ch in "+-?#%":
                return self._modified(name, ch, modifier, null_is_unset=False)
            if ch == "/":
                return self._substituted(name)
        finally:
            self.depth -= 1
        raise _Failure(f"unsupported modifier ({modifier}) in substitution")

    def _until(self, stop: str, raw_escapes: bool, missing: str) -> str:
        """The processed text up to `stop`; `missing` is the error when the word ends first."""
        try:
            text, _ = self.process_until(stop, raw_escapes)
        except _Failure:
            if self.peek() == EOF_CHAR:
                raise _Failure(missing) from None
            raise
        return text

    def _modified(self, name: str, ch: str, modifier: str, null_is_unset: bool) -> str:
        raw = ch in ("#", "%")
        if null_is_unset and raw:
            raise _Failure(f"unsupported modifier ({modifier}) in substitution")
        word = self._until("}", raw, "syntax error: missing '}'")
        value, found = self.get_env(name)
        if self.options.skip_unset and not found:
            return "${" + name + modifier + word + "}"
        empty = not found or (null_is_unset and value == "")
        if ch == "-":
            return word if empty else value
        if ch == "+":
            return "" if empty else word
        if ch == "?":
            if not found:
                raise _Failure(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _Failure(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in ("%", "#"):
            greedy = word.startswith(ch)
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise _Failure(f"unsupported modifier ({modifier}) in substitution")

    def _substituted(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = self._until("/", True, "syntax error: missing '/' in ${}")
        replacement = self._until("}", True, "syntax error: missing '}'")
        value, found = self.get_env(name)
        if self.options.skip_unset and not found:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        try:
            regex = _pattern_to_regex(pattern, greedy=True, anchored=False)
        except _Failure as failure:
            raise _Failure(f"invalid pattern ({pattern}) in substitution: {failure}") from None
        if replace_all:
            return _replace_all(regex, value, replacement)
        match = regex.search(value)
        if match:
            value = value[: match.start()] + replacement + value[match.end() :]
        return value


def _pattern_to_regex(pattern: str, greedy: bool, anchored: bool) -> re2._Regexp:
    """A shell wildcard pattern (`*`, `?`, backslash escapes; no brackets) as a regex.

    Compiled with RE2, the engine of Go's regexps that BuildKit uses: linear time, where a
    backtracking engine takes exponential time on `*a*a*a*a*b` against a long value.
    """
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    index = 0
    while index < len(pattern):
        ch = pattern[index]
        index += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            following = pattern[index] if index < len(pattern) else EOF_CHAR
            if following in ("}", "/") and following:
                continue
            index += 1
            if following not in ("*", "?", "\\") or not following:
                raise _Failure(f"invalid escape '\\{following or _RUNE_ERROR}'")
            out.append("\\" + following)
        elif ch in _PATTERN_SPECIALS:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return re2.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    try:
        regex = _pattern_to_regex(pattern, greedy, anchored=True)
    except _Failure as failure:
        raise _Failure(f"invalid pattern ({pattern}) in substitution: {failure}") from None
    match = regex.search(value)
    return value[match.end() :] if match else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern but keep each escape before the character it escapes."""
    out = [""] * len(pattern)
    last = len(pattern) - 1
    index = 0
    while index <= last:
        ch = pattern[index]
        target = last - index
        if ch == "\\" and index != last:
            out[target - 1] = ch
            out[target] = pattern[index + 1]
            index += 2
        else:
            out[target] = ch
            index += 1
    return "".join(out)


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # The shortest rightmost match is the shortest leftmost match of the reversed text.
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


_TEMPLATE_NAME = re.compile(r"\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+)")


def _expand_template(template: str, whole: str) -> str:
    """Go's Regexp.Expand for a regex without groups: `$0`/`${0}` is the match, `$$` a dollar."""
    out: list[str] = []
    rest = template
    while True:
        before, dollar, after = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if after.startswith("$"):
            out.append("$")
            rest = after[1:]
            continue
        match = _TEMPLATE_NAME.match(after)
        if not match:
            out.append("$")
            rest = after
            continue
        name = match.group(1) or match.group(2)
        if name.isdigit() and int(name) == 0:
            out.append(whole)
        rest = after[match.end() :]


def _replace_all(regex: re2._Regexp, value: str, replacement: str) -> str:
    """Regexp.ReplaceAllString: an empty match right after a match is not replaced."""
    out: list[str] = []
    last_end = 0
    search = 0
    while search <= len(value):
        match = regex.search(value, search)
        if not match:
            break
        start, end = match.span()
        out.append(value[last_end:start])
        if end > last_end or start == 0:
            out.append(_expand_template(replacement, match.group(0)))
        last_end = end
        search = search + 1 if search + 1 > end else end
    out.append(value[last_end:])
    return "".join(out)


def _plain_words(word: str) -> tuple[str, ...]:
    words: list[str] = []
    current: list[str] = []
    for ch in word:
        if is_space(ch):
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return tuple(words)


def _run(word: str, env: Mapping[str, str], options: LexerOptions) -> Expansion:
    specials = "$<" + options.escape + ("" if options.skip_quotes else "'\"")
    if not any(ch in word for ch in specials):
        # Nothing to expand, unquote or unescape: most words of most Dockerfiles.
        return Expansion(word, _plain_words(word), frozenset(), frozenset())
    shell_word = _ShellWord(word, env, options)
    try:
        result, words = shell_word.process_until(EOF_CHAR, options.raw_escapes)
    except _Failure as failure:
        raise ExpansionError(f"failed to process {quote(word)}: {failure}") from None
    if len(result) > MAX_EXPANSION:
        raise ExpansionError(
            f"failed to process {quote(word)}: it expands to more than {MAX_EXPANSION >> 20} MiB"
        )
    return Expansion(
        result=result,
        words=tuple(words),
        matched=frozenset(shell_word.matched),
        unmatched=frozenset(shell_word.unmatched),
    )


def process_word(
    word: str, env: Mapping[str, str], options: LexerOptions = DEFAULT_OPTIONS
) -> Expansion:
    """Expand one word; spaces are kept (ENV values, WORKDIR, USER, COPY paths...)."""
    return _run(word, env, options)


def process_words(
    word: str, env: Mapping[str, str], options: LexerOptions = DEFAULT_OPTIONS
) -> list[str]:
    """Expand and split into words (EXPOSE, heredoc markers)."""
    return list(_run(word, env, options).words)
