"""The argument grammars of Dockerfile instructions, applied to one joined line.

Each instruction reads the text after its keyword (and after its `--flags`)
in one of a few ways: as JSON-or-shell (RUN, CMD, ENTRYPOINT, SHELL), as
JSON-or-whitespace list (ADD, COPY, VOLUME), as whitespace list (FROM,
EXPOSE), as one string (USER, WORKDIR, STOPSIGNAL, MAINTAINER), as key/value
words (ENV, LABEL, ARG), as a type plus a command (HEALTHCHECK), or as
another instruction (ONBUILD). Quotes are kept here; they are removed when
words are expanded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from runtime.build.gotext import is_space, quote, trim_left_space, trim_space

# Go's reWhitespace: ASCII blanks, not newlines.
WHITESPACE = re.compile(r"[\t\v\f\r ]+")


class ArgumentError(ValueError):
    """Arguments that no reading of the instruction's grammar accepts."""


NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


@dataclass(frozen=True)
class Arguments:
    """What a grammar made of the argument text."""

    words: tuple[str, ...] = ()
    json: bool = False


def split_command(line: str, escape: str) -> tuple[str, tuple[str, ...], str]:
    """The keyword, the leading `--flags` and the rest of an instruction line."""
    parts = WHITESPACE.split(trim_space(line), maxsplit=1)
    if len(parts) < 2:
        return parts[0], (), ""
    rest, flags = extract_flags(parts[1], escape)
    return parts[0], tuple(flags), trim_space(rest)


def extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """Leading words that start with `--` (quotes and escapes resolved) and the remainder."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    blank_ok = False
    in_word = in_quote = False
    pos = 0
    end = len(line)
    while pos <= end:
        ch = line[pos] if pos < end else ""
        if not in_word and not in_quote:
            if pos == end:
                break
            if is_space(ch):
                pos += 1
                continue
            if ch != "-" or pos + 1 == end or line[pos + 1] != "-":
                return line[pos:], words
            in_word = True
        if pos == end:
            text = "".join(word)
            if text != "--" and (blank_ok or text):
                words.append(text)
            break
        if in_word:
            if is_space(ch):
                text = "".join(word)
                in_word = False
                if text == "--":
                    return line[pos:], words
                if blank_ok or text:
                    words.append(text)
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote, blank_ok, in_word, in_quote = ch, True, False, True
                pos += 1
                continue
            if ch == escape:
                if pos + 1 == end:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        # inside a quote
        if ch == quote:
            in_quote, in_word = False, True
            pos += 1
            continue
        if ch == escape:
            if pos + 1 == end:
                in_quote, in_word = False, True
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word.append(ch)
        pos += 1
    return "", words


def parse_words(rest: str, escape: str) -> list[str]:
    """Split on spaces outside quotes, keeping quotes and escapes in the words."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    blank_ok = False
    phase = "spaces"
    pos = 0
    end = len(rest)
    while pos <= end:
        ch = rest[pos] if pos < end else ""
        if phase == "spaces":
            if pos == end:
                break
            if is_space(ch):
                pos += 1
                continue
            phase = "word"
        if pos == end:
            if blank_ok or word:
                words.append("".join(word))
            break
        if phase == "word":
            if is_space(ch):
                phase = "spaces"
                if blank_ok or word:
                    words.append("".join(word))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote, blank_ok, phase = ch, True, "quote"
            if ch == escape:
                if pos + 1 == end:
                    pos += 1
                    continue
                # An unquoted escape always keeps the next character, quotes included.
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == end:
                phase = "word"
                pos += 1
                continue
            pos += 1
            word.append(ch)
            ch = rest[pos]
        word.append(ch)
        pos += 1
    return words


def name_values(rest: str, escape: str, instruction: str) -> Arguments:
    """ENV and LABEL: `k=v k2="v 2"`, or the legacy `KEY value with spaces`."""
    words = parse_words(rest, escape)
    if not words:
        return Arguments()
    if "=" not in words[0]:
        parts = WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ArgumentError(f"{instruction} must have two arguments")
        return Arguments((parts[0], parts[1], ""))
    triples: list[str] = []
    for word in words:
        if "=" not in word:
            raise ArgumentError(
                f"Syntax error - can't find = in {quote(word)}. Must be of the form: name=value"
            )
        key, value = word.split("=", 1)
        triples += [key, value, "="]
    return Arguments(tuple(triples))


def names_or_name_values(rest: str, escape: str) -> Arguments:
    """ARG: `name`, `name=`, `name=value`, several per line."""
    return Arguments(tuple(parse_words(rest, escape)))


def whitespace_list(rest: str) -> Arguments:
    """FROM, EXPOSE: words separated by blanks."""
    if not rest:
        return Arguments()
    return Arguments(tuple(WHITESPACE.split(rest)))


def one_string(rest: str) -> Arguments:
    """USER, WORKDIR, STOPSIGNAL, MAINTAINER: the whole rest as one argument."""
    return Arguments((rest,)) if rest else Arguments()


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def _json_array(rest: str) -> tuple[str, ...] | None:
    """The strings of a JSON array, or None when the text is not one."""
    text = trim_left_space(rest)
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        # Deeply nested arrays are valid JSON to Go, and never arrays of strings.
        raise ArgumentError(NOT_STRING_ARRAY) from None
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise ArgumentError(NOT_STRING_ARRAY)
    # Go decodes a lone surrogate escape as U+FFFD.
    return tuple(item.encode("utf-8", "replace").decode("utf-8") for item in value)


def json_or_string(rest: str) -> Arguments:
    """RUN, CMD, ENTRYPOINT, SHELL: a JSON array (exec form), else the text (shell form)."""
    if not rest:
        return Arguments()
    words = _json_array(rest)
    if words is not None:
        return Arguments(words, json=True)
    return Arguments((rest,))


def json_or_list(rest: str) -> Arguments:
    """ADD, COPY, VOLUME: a JSON array, else blank-separated words."""
    words = _json_array(rest)
    if words is not None:
        return Arguments(words, json=True)
    return whitespace_list(rest)


def health_config(rest: str) -> Arguments:
    """HEALTHCHECK: a type word (CMD, NONE) and then JSON-or-shell."""
    separator = 0
    while separator < len(rest) and not is_space(rest[separator]):
        separator += 1
    if separator == 0:
        return Arguments()
    following = separator
    while following < len(rest) and is_space(rest[following]):
        following += 1
    command = json_or_string(rest[following:])
    return Arguments((rest[:separator], *command.words), json=command.json)


Grammar = Callable[[str, str], Arguments]

GRAMMARS: dict[str, Grammar] = {
    "add": lambda rest, escape: json_or_list(rest),
    "arg": names_or_name_values,
    "cmd": lambda rest, escape: json_or_string(rest),
    "copy": lambda rest, escape: json_or_list(rest),
    "entrypoint": lambda rest, escape: json_or_string(rest),
    "env": lambda rest, escape: name_values(rest, escape, "ENV"),
    "expose": lambda rest, escape: whitespace_list(rest),
    "from": lambda rest, escape: whitespace_list(rest),
    "healthcheck": lambda rest, escape: health_config(rest),
    "label": lambda rest, escape: name_values(rest, escape, "LABEL"),
    "maintainer": lambda rest, escape: one_string(rest),
    "run": lambda rest, escape: json_or_string(rest),
    "shell": lambda rest, escape: json_or_string(rest),
    "stopsignal": lambda rest, escape: one_string(rest),
    "user": lambda rest, escape: one_string(rest),
    "volume": lambda rest, escape: json_or_list(rest),
    "workdir": lambda rest, escape: one_string(rest),
}
# ONBUILD's grammar is a whole instruction; the parser handles it.
KEYWORDS = frozenset([*GRAMMARS, "onbuild"])
