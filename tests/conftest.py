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
# Long and huge variants (marker `slow`) run only when asked: `-m slow` or PYCOMPOSE_SLOW=1.
RUN_SLOW_ENV = "PYCOMPOSE_SLOW"


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
    run_slow = os.environ.get(RUN_SLOW_ENV) == "1" or "slow" in (config.option.markexpr or "")
    for item in items:
        if not run_slow and item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.skip(reason=f"slow: run with -m slow or {RUN_SLOW_ENV}=1"))
        suite = _suite(item)
        if suite in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, suite))
        if suite in ROOT_SUITES and not IS_ROOT:
            item.add_marker(pytest.mark.skip(reason="needs root"))
