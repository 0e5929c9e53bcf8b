"""Where the runtime keeps each container's state: `<root>/<id>/state.json` and the exec fifo.

The kernel is the truth for whether the process lives; the record says which
process it was (pid and its start time, so a reused pid is not mistaken for
the container) and what was made for it (bundle, cgroup).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runtime.errors import EngineError

OCI_STATE_VERSION = "1.0.2"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
FIFO_NAME = "exec.fifo"


class ContainerStateError(EngineError):
    """A container does not exist, already exists, or is in the wrong state for a request."""


def check_id(container_id: str) -> str:
    """Refuse ids that could escape the state directory or confuse a command line."""
    if not ID_RE.match(container_id):
        raise ContainerStateError(
            f"invalid container id {container_id!r}: use letters, digits, '_', '.', '-'"
        )
    return container_id


def process_start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (start time in clock ticks), or None if gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


@dataclass
class ContainerRecord:
    """What the runtime knows of one container."""

    id: str
    bundle: str
    rootfs: str
    pid: int = 0
    start_time: int = 0
    created: str = ""
    cgroup_path: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def alive(self) -> bool:
        """Whether the container's first process still runs (and is the same process)."""
        return self.pid > 0 and process_start_time(self.pid) == self.start_time


class StateDirectory:
    """The state root (`--root`), one directory per container."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, container_id: str) -> Path:
        return self.root / check_id(container_id)

    def fifo(self, container_id: str) -> Path:
        return self.path(container_id) / FIFO_NAME

    def reserve(self, container_id: str) -> Path:
        """Make the container's directory; fail if the id is taken."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory = self.path(container_id)
        try:
            directory.mkdir(mode=0o711)
        except FileExistsError:
            raise ContainerStateError(f"container {container_id} already exists") from None
        return directory

    def save(self, record: ContainerRecord) -> None:
        path = self.path(record.id) / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(record)))
        os.replace(tmp, path)

    def load(self, container_id: str) -> ContainerRecord:
        path = self.path(container_id) / "state.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ContainerStateError(f"container {container_id} does not exist") from None
        except ValueError as exc:
            raise ContainerStateError(f"state of {container_id} is unreadable: {exc}") from None
        return ContainerRecord(**data)

    def remove(self, container_id: str) -> None:
        shutil.rmtree(self.path(container_id), ignore_errors=True)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "state.json").exists())

    def status(self, record: ContainerRecord) -> str:
        """OCI status: created (waiting for start), running, or stopped."""
        if not record.alive():
            return "stopped"
        return "created" if self.fifo(record.id).exists() else "running"

    def oci_state(self, record: ContainerRecord) -> dict[str, object]:
        """The OCI state JSON, as `runc state` prints it."""
        status = self.status(record)
        return {
            "ociVersion": OCI_STATE_VERSION,
            "id": record.id,
            "status": status,
            "pid": record.pid if status != "stopped" else 0,
            "bundle": record.bundle,
            "rootfs": record.rootfs,
            "created": record.created,
            "annotations": record.annotations,
        }
