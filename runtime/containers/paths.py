"""Where one container's files are: persistent under the root, volatile under the run root.

<root>/containers/<id>/              init, upper, work, rootfs (RootfsDirs), bundle/,
                                     files/ (hosts, hostname, resolv.conf), <id>-json.log*
<run root>/containers/<id>/          monitor.conf, attach socket, monitor.log
<run root>/containers/events         the events bell
<run root>/oci/                      the embedded runtime's state (crun/, runc/ for those)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.containers.rootfs import RootfsDirs
from runtime.store import Layout


def events_bell(layout: Layout) -> Path:
    """The file whose change time moves whenever a container's state or events change."""
    return layout.run_containers / "events"


def runtime_state_root(layout: Layout, runtime: str) -> Path:
    """The state directory of an OCI runtime for this engine root."""
    return layout.run_root / ("oci" if runtime == "pycompose" else runtime)


@dataclass(frozen=True)
class ContainerPaths:
    """The paths of one container."""

    layout: Layout
    container_id: str

    @property
    def directory(self) -> Path:
        return self.layout.containers / self.container_id

    @property
    def rootfs(self) -> RootfsDirs:
        return RootfsDirs(self.directory)

    @property
    def bundle(self) -> Path:
        return self.directory / "bundle"

    @property
    def files(self) -> Path:
        """The engine-owned /etc/hosts, /etc/hostname and /etc/resolv.conf."""
        return self.directory / "files"

    @property
    def log(self) -> Path:
        return self.directory / f"{self.container_id}-json.log"

    @property
    def run_directory(self) -> Path:
        return self.layout.run_containers / self.container_id

    @property
    def monitor_config(self) -> Path:
        return self.run_directory / "monitor.conf"

    @property
    def monitor_log(self) -> Path:
        return self.run_directory / "monitor.log"

    @property
    def attach_socket(self) -> Path:
        return self.run_directory / "attach"
