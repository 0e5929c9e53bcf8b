"""Test parameters that carry their own markers (the huge variants of a case list are `slow`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pytest


class _MaybeSlow(Protocol):
    slow: bool


def marked_slow(cases: Mapping[str, _MaybeSlow]) -> list[Any]:
    """The case names, sorted, as pytest parameters; those whose case is slow marked `slow`."""
    return [
        pytest.param(name, marks=[pytest.mark.slow] if case.slow else [], id=name)
        for name, case in sorted(cases.items())
    ]
