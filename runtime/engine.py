"""`Engine`: the one object the orchestrator and the CLI hold to drive the embedded engine.

    engine = Engine.open()                       # PYCOMPOSE_ROOT or /var/lib/pycompose
    engine.images.get("busybox")                 # runtime.images.ImageStore
    engine.volumes.create("data")                # runtime.volumes.VolumeStore
    engine.networks.ensure_default()             # runtime.network.Networks
    engine.containers.create(request)            # runtime.containers.Containers

Parts are made on first use, so a command that only lists images never opens
the network or container tables.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING

from runtime.store import Store

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.images.imagestore import ImageStore
    from runtime.network import Networks
    from runtime.volumes import VolumeStore

DEFAULT_RUNTIME = "pycompose"


class Engine:
    """Images, volumes, networks and containers of one engine root."""

    def __init__(self, store: Store, runtime: str = DEFAULT_RUNTIME):
        self.store = store
        self.runtime = runtime

    @classmethod
    def open(
        cls, root: str | os.PathLike[str] | None = None, runtime: str = DEFAULT_RUNTIME
    ) -> Engine:
        """The engine at `root` (else PYCOMPOSE_ROOT, else the system default)."""
        return cls(Store.open(root), runtime)

    @cached_property
    def images(self) -> ImageStore:
        from runtime.images.imagestore import ImageStore

        return ImageStore(self.store)

    @cached_property
    def volumes(self) -> VolumeStore:
        from runtime.volumes import VolumeStore

        return VolumeStore(self.store)

    @cached_property
    def networks(self) -> Networks:
        from runtime.network import Networks

        return Networks(self.store)

    def recover(self) -> None:
        """Finish or undo what commands killed half-way left (containers being created or
        removed, networks without their bridge or with stale rules, volume directories
        without a record). Cheap when nothing is amiss."""
        from runtime.containers.recovery import recover_containers
        from runtime.store.scratch import sweep_scratch

        recover_containers(self.containers, stale_locks=True)
        self.networks.recover()
        self.volumes.recover()
        sweep_scratch(self.store.layout)

    @cached_property
    def containers(self) -> Containers:
        from runtime.containers.manager import Containers

        return Containers(
            self.store, self.images, self.volumes, lambda: self.networks, self.runtime
        )
