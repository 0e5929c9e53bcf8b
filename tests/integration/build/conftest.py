"""Fixtures of the build tests: a store with busybox, a builder, and a check that nothing leaks."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from runtime.build.executor import build_image
from runtime.build.progress import PlainProgress
from runtime.build.request import BuildRequest, BuildResult
from runtime.network import Networks
from runtime.store import Store
from tests.support.builds import host_residue, write_context
from tests.support.images import busybox_image
from tests.support.registry import registry
from tests.support.rootfs import busybox_available
from tests.support.stores import make_store

__all__ = ["registry"]  # a fixture, for the tests here


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    if not busybox_available():
        pytest.skip("busybox-static is not installed")
    made = make_store(tmp_path / "engine")
    busybox_image(made)
    before = host_residue(made)
    yield made
    networks = Networks(made)
    for network in networks.all():
        networks.remove(network.name)
    assert networks.responder.pid() is None
    assert host_residue(made) == before


class Builder:
    """Builds contexts written from a file map, keeping each build's printed output."""

    def __init__(self, store: Store, root: Path):
        self.store = store
        self.root = root
        self.output = ""

    def context(self, files: Mapping[str, str | bytes], name: str = "context") -> Path:
        return write_context(self.root / name, files)

    def build(self, context: Path, **options: object) -> BuildResult:
        stream = io.StringIO()
        request = BuildRequest(context, **options)  # type: ignore[arg-type]
        try:
            return build_image(self.store, request, PlainProgress(stream))
        finally:
            self.output = stream.getvalue()


@pytest.fixture
def builder(store: Store, tmp_path: Path) -> Builder:
    return Builder(store, tmp_path)


BuilderFactory = Callable[[], Builder]
