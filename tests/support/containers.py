"""Container tests through the `pycompose` command: an engine root with busybox, and residue checks.

`ContainerCLI.run("container", "run", ...)` runs the command with the root's
environment. `residue()` lists what a removed container could leave behind:
mounts under the root, cgroups of the engine instance, network namespace
pins, monitor processes, container directories, runtime state, lock files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.store import Layout, Store
from tests.support.images import busybox_image

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


@dataclass
class ContainerCLI:
    """One engine root (with a busybox image) and the commands run against it."""

    base: Path
    layout: Layout = field(init=False)

    def __post_init__(self) -> None:
        self.layout = Layout(root=self.base / "root", run_root=self.base / "run")
        store = Store(self.layout)
        busybox_image(store)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYCOMPOSE_ROOT": str(self.layout.root),
            "PYCOMPOSE_RUN_ROOT": str(self.layout.run_root),
        }

    def run(
        self, *args: str, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """`pycompose <args>`, output captured as text."""
        return subprocess.run(
            [PYCOMPOSE, *args],
            capture_output=True,
            text=True,
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )

    def ok(self, *args: str, input: str | None = None) -> str:
        """Run a command that must succeed; its stdout."""
        result = self.run(*args, input=input)
        assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stderr}"
        return result.stdout

    def inspect(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok("container", "inspect", name))[0]
        return data

    def wait_until(
        self, name: str, check: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        """Inspect `name` until `check` holds (the test polls; the engine never does)."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.inspect(name)
            if check(data):
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: condition not met; State={data['State']}")
            time.sleep(0.1)

    def remove_all(self) -> None:
        ids = self.ok("container", "ps", "-aq", "--no-trunc").split()
        if ids:
            self.ok("container", "rm", "-f", "-v", *ids)
        networks = self.run("network", "ls", "-q")
        if networks.returncode == 0 and networks.stdout.strip():
            self.run("network", "prune", "-f")

    def residue(self) -> list[str]:
        """What is left of containers after they were all removed: what the residue check
        finds, and the engine's cgroup parent (which goes with the last container)."""
        from tests.support.residue import residue

        found = residue(self.layout, check_links=False)
        for hierarchy in Path("/sys/fs/cgroup").iterdir():
            if (hierarchy / self.layout.instance_name).exists():
                found.append(f"cgroup {hierarchy / self.layout.instance_name}")
        return found


def monitor_pids(layout: Layout, container_id: str = "") -> list[int]:
    """Processes running a monitor of this root (of one container, if given)."""
    marker = str(layout.run_containers / container_id)
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"runtime.containers.monitor.main" in b" ".join(cmdline) and any(
            arg.decode(errors="replace").startswith(marker) for arg in cmdline
        ):
            pids.append(int(entry.name))
    return pids
