"""Splitting a command string: the same words as POSIX shlex, in time linear in its length."""

from __future__ import annotations

import random
import shlex

import pytest

from specs.syntax.commands import split_command

ALPHABET = ["a", "b", " ", "\t", "\n", "'", '"', "\\", "$", "é"]


def _shlex(text: str) -> list[str] | str:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return "error"


def _ours(text: str) -> list[str] | str:
    try:
        return split_command(text)
    except ValueError:
        return "error"


def test_splits_like_shlex_on_random_input() -> None:
    generator = random.Random(7)
    for _ in range(20_000):
        text = "".join(generator.choice(ALPHABET) for _ in range(generator.randint(0, 12)))
        assert _ours(text) == _shlex(text), repr(text)


@pytest.mark.parametrize(
    "text",
    ['echo "' + "a" * 5_000_000 + '"', "x" * 5_000_000, 'sh -c "' + 'a\\"' * 1_000_000 + '"'],
    ids=["quoted", "bare", "escapes"],
)
def test_a_huge_word_splits_in_linear_time(text: str) -> None:
    # shlex needs minutes for one word of 5 MB (quadratic); this split is one linear pass.
    words = split_command(text)
    assert len(words[-1]) >= 2_000_000
