"""Fixtures of the runtime's integration tests: a busybox layer and a container runner."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runtime.containers.spec import ContainerSpec
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus
from runtime.oci.spec import Mount
from tests.support.bundles import MadeBundle, make_bundle, remove_cgroup_parent
from tests.support.rootfs import busybox_available, make_busybox_rootfs


@pytest.fixture(scope="session")
def busybox_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not busybox_available():
        pytest.skip("busybox-static is not installed")
    layer = tmp_path_factory.mktemp("busybox") / "layer"
    make_busybox_rootfs(layer)
    (layer / "data").mkdir()
    (layer / "data" / "seed.txt").write_text("from the image\n")
    return layer


@dataclass
class Result:
    status: ExitStatus
    stdout: str
    stderr: str


@dataclass
class Engine:
    """Runs containers from ContainerSpecs on the busybox layer, and cleans up after them."""

    base: Path
    layer: Path
    runtime: EmbeddedRuntime
    cgroup_parent: str
    bundles: list[MadeBundle] = field(default_factory=list)

    def bundle(
        self,
        spec: ContainerSpec,
        mounts: tuple[Mount, ...] = (),
        layers: list[Path] | None = None,
    ) -> MadeBundle:
        container_id = f"{spec.name}-{secrets.token_hex(4)}"
        made = make_bundle(
            self.base, layers or [self.layer], spec, container_id, self.cgroup_parent, mounts
        )
        self.bundles.append(made)
        return made

    def run(self, spec: ContainerSpec, mounts: tuple[Mount, ...] = ()) -> Result:
        made = self.bundle(spec, mounts)
        return self.run_bundle(made)

    def run_bundle(self, made: MadeBundle) -> Result:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            with open("/dev/null", "rb") as null:
                stdio = (null.fileno(), out.fileno(), err.fileno())
                status = self.runtime.run(made.container_id, made.path, stdio=stdio)
            out.seek(0)
            err.seek(0)
            return Result(status, out.read().decode(), err.read().decode())

    def cleanup(self) -> None:
        for container_id in self.runtime.states.ids():
            self.runtime.delete(container_id, force=True)
        for made in self.bundles:
            made.remove()
        remove_cgroup_parent(self.cgroup_parent)


@pytest.fixture
def engine(tmp_path: Path, busybox_layer: Path) -> Iterator[Engine]:
    runtime = EmbeddedRuntime(tmp_path / "state")
    made = Engine(
        tmp_path / "containers", busybox_layer, runtime, f"pycompose-test-{secrets.token_hex(4)}"
    )
    try:
        yield made
    finally:
        made.cleanup()
