"""Times as Docker writes and reads them: RFC 3339 with nanoseconds, relative `--since`, ages.

Standard library only: the monitor stamps log lines with it.
"""

from __future__ import annotations

import time

ZERO_TIME = "0001-01-01T00:00:00Z"
_DURATION = r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)"
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def format_timestamp(nanos: int | None = None) -> str:
    """`2024-05-01T12:00:00.123456789Z` (UTC, nanoseconds), as Docker's RFC3339Nano."""
    if nanos is None:
        nanos = time.time_ns()
    seconds, fraction = divmod(nanos, 1_000_000_000)
    head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{head}.{fraction:09d}Z"


def parse_timestamp(text: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp (any precision), or None."""
    if not text or text == ZERO_TIME:
        return None
    cleaned = text.strip().replace("Z", "+00:00")
    fraction = 0.0
    if "." in cleaned:
        head, _, tail = cleaned.partition(".")
        digits = tail[: len(tail) - len(tail.lstrip("0123456789"))]
        zone = tail[len(digits) :]
        fraction = float("0." + digits) if digits else 0.0
        cleaned = head + zone
    from datetime import UTC, datetime  # only readers parse; the monitor only writes

    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() + fraction


def parse_duration(text: str) -> float | None:
    """Go's duration syntax (`1h30m`, `90s`, `500ms`) in seconds, or None if it is not one."""
    text = text.strip()
    if not text:
        return None
    import re  # the monitor only formats times: no regular expressions in its memory

    position, total = 0, 0.0
    for match in re.finditer(_DURATION, text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if position == len(text) else None


def parse_since(text: str, now: float | None = None) -> float:
    """`--since` / `--until`: a timestamp, Unix seconds, or a duration before now (`10m`)."""
    now = time.time() if now is None else now
    relative = parse_duration(text)
    if relative is not None:
        return now - relative
    try:
        return float(text)
    except ValueError:
        pass
    moment = parse_timestamp(text if "T" in text else text + "T00:00:00Z")
    if moment is None:
        raise ValueError(f"invalid time {text!r}: use a timestamp, Unix seconds or a duration")
    return moment


def since_text(seconds: float) -> str:
    """Docker's human duration: "Less than a second", "3 minutes", "About an hour", ..."""
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"
