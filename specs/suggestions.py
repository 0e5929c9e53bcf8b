""" "Did you mean ...?" for names that are almost right."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word`, if one is close enough to be a likely typo."""
    options = sorted(set(choices))
    lowered = {option.lower(): option for option in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    if not matches:
        matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
        matches = [lowered[match] for match in matches]
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'environment'?)`, or an empty string when nothing is close."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""
