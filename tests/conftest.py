"""Test-run set-up: markers from the directory, root checks, a private network namespace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import namespaces

TESTS = Path(__file__).parent
ROOT_SUITES = ("integration", "e2e")
IS_ROOT = os.geteuid() == 0
# Under CI every root test must run: a skip for want of root is a failure there.
REQUIRE_ROOT = os.environ.get("PYCOMPOSE_REQUIRE_ROOT_TESTS") == "1"


def _suite(item: pytest.Item) -> str | None:
    try:
        relative = Path(str(item.fspath)).relative_to(TESTS)
    except ValueError:
        return None
    return relative.parts[0] if len(relative.parts) > 1 else None


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_ROOT and not IS_ROOT:
        raise pytest.UsageError("PYCOMPOSE_REQUIRE_ROOT_TESTS=1: the suite must run as root")
    if IS_ROOT and os.environ.get("PYCOMPOSE_TEST_NO_NETNS") != "1":
        namespaces.enter_private_namespaces()


def pytest_unconfigure(config: pytest.Config) -> None:
    namespaces.leave_private_namespaces()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Long trials run only when asked for by marker (`pytest -m slow`).
    run_slow = "slow" in (config.getoption("markexpr") or "")
    for item in items:
        if item.get_closest_marker("slow") is not None and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: run with -m slow"))
        suite = _suite(item)
        if suite in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, suite))
        if suite in ROOT_SUITES and not IS_ROOT:
            item.add_marker(pytest.mark.skip(reason="needs root"))
