"""Go's time.Duration text: parsing `1m30s` (HEALTHCHECK options) and printing `1ms`.

Durations are whole nanoseconds, as Docker stores them in an image config.
"""

from __future__ import annotations

from runtime.build.gotext import quote

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign
    "\u03bcs": MICROSECOND,  # Greek mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_MAX = (1 << 63) - 1
_DECIMAL = "0123456789"


class DurationError(ValueError):
    """A duration string Go's time.ParseDuration rejects, with Go's wording."""


def parse_duration(text: str) -> int:
    """time.ParseDuration: `[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+` to nanoseconds."""
    invalid = DurationError(f"time: invalid duration {quote(text)}")
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in _DECIMAL:
            raise invalid
        integer = _leading_digits(rest)
        rest = rest[len(integer) :]
        fraction = ""
        if rest.startswith("."):
            rest = rest[1:]
            fraction = _leading_digits(rest)
            rest = rest[len(fraction) :]
        if not integer and not fraction:
            raise invalid
        unit_length = 0
        while (
            unit_length < len(rest)
            and rest[unit_length] != "."
            and rest[unit_length] not in _DECIMAL
        ):
            unit_length += 1
        if unit_length == 0:
            raise DurationError(f"time: missing unit in duration {quote(text)}")
        unit, rest = rest[:unit_length], rest[unit_length:]
        if unit not in _UNITS:
            raise DurationError(f"time: unknown unit {quote(unit)} in duration {quote(text)}")
        scale = _UNITS[unit]
        total += int(integer or "0") * scale
        if fraction:
            # Go keeps nanosecond precision and drops the rest of the fraction.
            total += int(fraction) * scale // (10 ** len(fraction))
        if total > _MAX + (1 if negative else 0):
            raise invalid
    return -total if negative else total


def _leading_digits(text: str) -> str:
    end = 0
    while end < len(text) and text[end] in _DECIMAL:
        end += 1
    return text[:end]


def format_duration(nanoseconds: int) -> str:
    """time.Duration.String: `1h2m3.5s`, `1.5ms`, `0s`."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < SECOND:
        for unit, scale in (("ns", NANOSECOND), ("\u00b5s", MICROSECOND), ("ms", MILLISECOND)):
            if value < scale * 1000:
                return sign + _decimal(value, scale) + unit
    hours, rest = divmod(value, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    text = _decimal(rest, SECOND) + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _decimal(value: int, scale: int) -> str:
    whole, fraction = divmod(value, scale)
    if not fraction:
        return str(whole)
    digits = len(str(scale)) - 1
    return f"{whole}.{fraction:0{digits}d}".rstrip("0")
