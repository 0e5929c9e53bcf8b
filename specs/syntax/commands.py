"""Commands written as one string, split into words like a POSIX shell would.

The rules are those of Python's `shlex.split(posix=True)`: blanks separate
words, single quotes are literal, double quotes take backslash escapes of `"`
and `\\` only, a backslash outside quotes escapes any character. The split is
one regular-expression pass, so its time grows linearly with the text (shlex's
grows with the square of the longest word).
"""

from __future__ import annotations

import re

_PIECE = re.compile(
    r"""(?P<blank>[ \t\r\n]+)
      | '(?P<single>[^']*)'
      | "(?P<double>(?:[^"\\]++|\\.)*+)"
      | \\(?P<escaped>.)
      | (?P<plain>[^ \t\r\n'"\\]+)""",
    re.VERBOSE | re.DOTALL,
)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\(["\\])')


def split_command(text: str) -> list[str]:
    """`echo "hello world"` -> ["echo", "hello world"]."""
    words: list[str] = []
    pieces: list[str] | None = None
    position = 0
    while position < len(text):
        match = _PIECE.match(text, position)
        if match is None:
            raise ValueError(f'"{text}" has an unterminated quote')
        position = match.end()
        kind = match.lastgroup
        if kind == "blank":
            if pieces is not None:
                words.append("".join(pieces))
                pieces = None
            continue
        if pieces is None:
            pieces = []
        value = match.group(kind or "plain")
        if kind == "double":
            value = _DOUBLE_QUOTED_ESCAPE.sub(r"\1", value)
        pieces.append(value)
    if pieces is not None:
        words.append("".join(pieces))
    return words
