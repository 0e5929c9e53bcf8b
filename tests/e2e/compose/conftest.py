"""Fixtures of the compose end-to-end tests: an app directory with its own engine root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.compose_apps import ComposeApp
from tests.support.registry import registry
from tests.support.rootfs import busybox_available

__all__ = ["registry"]  # a fixture, for the tests here


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ComposeApp]:
    if not busybox_available():
        pytest.skip("busybox-static is not installed")
    made = ComposeApp.make(tmp_path)
    try:
        yield made
    finally:
        made.tear_down()
