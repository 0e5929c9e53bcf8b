"""One engine root with a busybox image per test module; nothing may be left once all is removed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.containers import ContainerCLI


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContainerCLI]:
    made = ContainerCLI(tmp_path_factory.mktemp("containers"))
    try:
        yield made
    finally:
        made.remove_all()
    assert made.residue() == []
