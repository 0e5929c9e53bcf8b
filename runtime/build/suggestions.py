"""`(did you mean RUN?)`: the nearest known word to a mistyped one, as BuildKit suggests it."""

from __future__ import annotations

from collections.abc import Iterable

# A suggestion must be closer than this many edits (BuildKit's threshold).
_MAX_DISTANCE = 3


def edit_distance(first: str, second: str, transpositions: bool = False) -> int:
    """Levenshtein distance (unit costs); with `transpositions`, a swap of neighbours is one edit."""
    rows = [list(range(len(second) + 1))]
    for i, left in enumerate(first, start=1):
        current = [i]
        for j, right in enumerate(second, start=1):
            cost = 0 if left == right else 1
            best = min(rows[-1][j] + 1, current[j - 1] + 1, rows[-1][j - 1] + cost)
            swapped = i > 1 and j > 1 and left == second[j - 2] and first[i - 2] == right
            if transpositions and swapped:
                best = min(best, rows[-2][j - 2] + 1)
            current.append(best)
        rows.append(current)
    return rows[-1][-1]


def _match_case(option: str, original: str) -> str:
    if original == original.lower():
        return option.lower()
    if original == original.upper():
        return option.upper()
    return option


def nearest(value: str, options: Iterable[str], case_sensitive: bool) -> str | None:
    """The closest option to `value`, or None when none is close or `value` is itself one."""
    wanted = value if case_sensitive else value.lower()
    match: str | None = None
    best = (_MAX_DISTANCE, 0)
    # BuildKit keeps the first of equally close options in map order (random);
    # counting a swapped pair as one edit breaks such ties the way a reader would.
    for option in sorted(options):
        candidate = option if case_sensitive else option.lower()
        if candidate == wanted:
            return None
        distance = (edit_distance(wanted, candidate), edit_distance(wanted, candidate, True))
        if distance[0] < _MAX_DISTANCE and distance < best:
            match = candidate if case_sensitive else _match_case(candidate, value)
            best = distance
    return match


def with_suggestion(message: str, value: str, options: Iterable[str], case_sensitive: bool) -> str:
    """`message (did you mean X?)` when a close option exists, else `message` unchanged."""
    match = nearest(value, options, case_sensitive)
    if not match:
        return message
    return f"{message} (did you mean {match}?)"
