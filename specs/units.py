"""Durations and byte sizes as Compose writes them (`1m30s`, `512m`), to and from numbers.

Durations become integer nanoseconds, the unit Docker's API and Go's
`time.Duration` use, so nothing is lost to floating point; they are written back
in Go's `time.Duration.String()` form (`1m30s`, `500ms`, `1h0m0s`). Sizes become
integer bytes with binary multiples (`1k` is 1024), as Docker's `RAMInBytes`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_DURATION_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "µs": MICROSECOND,
    "μs": MICROSECOND,
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?(?:i?b)?$", re.IGNORECASE)
_SIZE_MULTIPLIERS = {None: 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}

DURATION_EXPECTED = "expected a number with a unit, like 10s, 1m30s or 500ms"
SIZE_EXPECTED = "expected a number of bytes, optionally with a unit b, k, m, g, t or p"


def parse_duration(text: str) -> int:
    """`1m30s` -> 90_000_000_000 nanoseconds; raise ValueError for anything else."""
    value = text.strip()
    sign = 1
    if value and value[0] in "+-":
        sign = -1 if value[0] == "-" else 1
        value = value[1:]
    if value == "0":
        return 0
    if not value:
        raise ValueError(f'"{text}" is not a valid duration ({DURATION_EXPECTED})')
    total = Decimal(0)
    position = 0
    for match in _DURATION_PART.finditer(value):
        if match.start() != position:
            break
        total += Decimal(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position != len(value):
        raise ValueError(f'"{text}" is not a valid duration ({DURATION_EXPECTED})')
    return sign * int(total)


def format_duration(nanoseconds: int) -> str:
    """90_000_000_000 -> `1m30s`, as Go's `time.Duration.String()` writes it."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < MICROSECOND:
        return f"{sign}{value}ns"
    if value < MILLISECOND:
        return f"{sign}{_fraction(value, MICROSECOND)}µs"
    if value < SECOND:
        return f"{sign}{_fraction(value, MILLISECOND)}ms"
    hours, rest = divmod(value, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    seconds = _fraction(rest, SECOND)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{rest:0{digits}d}".rstrip("0")


def parse_size(text: str) -> int:
    """`512m` -> 536870912 bytes; a bare number is bytes; raise ValueError otherwise."""
    match = _SIZE.match(text.strip())
    if not match:
        raise ValueError(f'"{text}" is not a valid size ({SIZE_EXPECTED})')
    try:
        number = Decimal(match.group(1))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f'"{text}" is not a valid size ({SIZE_EXPECTED})') from exc
    unit = match.group(2).lower() if match.group(2) else None
    return int(number * _SIZE_MULTIPLIERS[unit])
