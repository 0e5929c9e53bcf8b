"""Go's text primitives that the Dockerfile grammar is defined in terms of.

BuildKit is written in Go and its rules ("a space", "trimmed", how a value is
quoted in a message, what a boolean or integer flag accepts) are those of Go's
standard library. These functions give the same answers in Python, so the
parser and the messages agree with BuildKit's to the character.
"""

from __future__ import annotations

import unicodedata

# unicode.IsSpace: the Latin-1 spaces plus the White_Space property above U+00FF.
_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
SPACE_CHARACTERS = "".join(sorted(_SPACES))
_SPACE_CHARS = SPACE_CHARACTERS


def is_space(ch: str) -> bool:
    """unicode.IsSpace: whether one character is white space."""
    return ch in _SPACES


def trim_space(text: str) -> str:
    """strings.TrimSpace: strip leading and trailing white space."""
    return text.strip(_SPACE_CHARS)


def trim_left_space(text: str) -> str:
    """strings.TrimLeftFunc(s, unicode.IsSpace)."""
    return text.lstrip(_SPACE_CHARS)


def is_letter(ch: str) -> bool:
    """unicode.IsLetter: any character of a letter category."""
    return ch.isalpha()


def is_digit(ch: str) -> bool:
    """unicode.IsDigit: a decimal digit (category Nd), in any script."""
    return ch.isdecimal()


_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _is_printable(ch: str) -> bool:
    if ch == " ":
        return True
    return unicodedata.category(ch)[0] in "LMNPS"


def quote(text: str) -> str:
    """strconv.Quote (and `%q`): a double-quoted Go string literal."""
    out = ['"']
    for ch in text:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif _is_printable(ch):
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def format_list(items: list[str] | tuple[str, ...]) -> str:
    """`%v` of a []string: `[a b c]`."""
    return "[" + " ".join(items) + "]"


def quote_list(items: list[str] | tuple[str, ...]) -> str:
    """`%q` of a []string: `["a" "b"]`."""
    return "[" + " ".join(quote(item) for item in items) + "]"


class NumberError(ValueError):
    """A strconv parse failure, worded as Go words it."""


def parse_bool(text: str) -> bool:
    """strconv.ParseBool."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise NumberError(f"strconv.ParseBool: parsing {quote(text)}: invalid syntax")


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _parse_digits(function: str, text: str, base: int, bits: int, signed: bool) -> int:
    body = text
    negative = False
    if signed and body[:1] in ("+", "-"):
        negative = body[0] == "-"
        body = body[1:]
    if not body or any(ch not in _DIGITS[:base] for ch in body.lower()):
        raise NumberError(f"strconv.{function}: parsing {quote(text)}: invalid syntax")
    value = int(body, base)
    value = -value if negative else value
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= value <= high:
        raise NumberError(f"strconv.{function}: parsing {quote(text)}: value out of range")
    return value


def parse_int(text: str, base: int = 10, bits: int = 64) -> int:
    """strconv.ParseInt with an explicit base (no prefixes, no underscores)."""
    return _parse_digits("ParseInt", text, base, bits, signed=True)


def parse_uint(text: str, base: int = 10, bits: int = 64) -> int:
    """strconv.ParseUint with an explicit base (no sign, no prefixes, no underscores)."""
    return _parse_digits("ParseUint", text, base, bits, signed=False)


def atoi(text: str) -> int:
    """strconv.Atoi."""
    return _parse_digits("Atoi", text, 10, 64, signed=True)
