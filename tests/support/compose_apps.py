"""Apps for end-to-end tests: a project directory, an engine root with busybox, the `pycompose`
command run in it, and a check that `down -v` leaves nothing behind.

    app = ComposeApp.make(tmp_path)
    app.write(\"\"\"services: {web: {image: busybox, command: %s}}\"\"\" % IDLE)
    app.run("up", "-d")
    assert app.states() == {"web-1": "running"}
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.commands import run_in
from tests.support.residue import assert_no_residue

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine
    from runtime.store import Layout, Store

# A PID 1 that stops at once on SIGTERM (a bare `sleep` as PID 1 ignores it).
IDLE = '["sh", "-c", "trap \'exit 0\' TERM; sleep 100000 & wait"]'


@dataclass
class ComposeApp:
    """One project directory and one engine root, for one test."""

    directory: Path
    layout: Layout
    store: Store
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, base: Path, *, busybox: bool = True) -> ComposeApp:
        from runtime.store import Layout, Store
        from tests.support.images import busybox_image

        layout = Layout(root=base / "root", run_root=base / "run")
        store = Store(layout)
        if busybox:
            busybox_image(store)
        directory = base / "app"
        directory.mkdir(parents=True, exist_ok=True)
        env = {"PYCOMPOSE_ROOT": str(layout.root), "PYCOMPOSE_RUN_ROOT": str(layout.run_root)}
        return cls(directory, layout, store, env)

    def write(self, text: str, name: str = "compose.yaml") -> Path:
        """Write a file of the project (dedented)."""
        path = self.directory / name
        path.write_text(textwrap.dedent(text))
        return path

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """`pycompose ARGS` in the project directory; with `check`, a failure fails the test."""
        result = run_in(self.directory, *args, env={**self.env, **env})
        if check:
            assert result.returncode == 0, (
                f"pycompose {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """`pycompose ARGS` started in the background (for killing it, or Ctrl-C)."""
        import os

        from tests.support.commands import PYCOMPOSE

        environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.directory), **self.env}
        return subprocess.Popen(
            [PYCOMPOSE, *args],
            cwd=self.directory,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def engine(self) -> Engine:
        """The engine of the app's root, in this process (for reading state)."""
        from runtime.engine import Engine

        return Engine(self.store)

    def ps(self) -> list[dict[str, Any]]:
        """`ps -a --format json`, one entry per container."""
        output = self.run("ps", "-a", "--format", "json").stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def states(self) -> dict[str, str]:
        """`web-1` -> state, for every container of the project."""
        return {
            f"{entry['Service']}-{entry['Labels']['com.docker.compose.container-number']}": entry[
                "State"
            ]
            for entry in self.ps()
        }

    def ids(self) -> dict[str, str]:
        """`web-1` -> container id."""
        return {
            f"{entry['Service']}-{entry['Labels']['com.docker.compose.container-number']}": entry[
                "ID"
            ]
            for entry in self.ps()
        }

    def container(self, service: str, number: int = 1) -> Container:
        """The engine's record of one replica."""
        for container in self.engine().containers.list(
            all=True, labels={"com.docker.compose.service": service}
        ):
            if container.labels.get("com.docker.compose.container-number") == str(number):
                return container
        raise AssertionError(f"no container {service}-{number}")

    def tear_down(self) -> None:
        """`down -v`, then the check that nothing of the root is left on the machine."""
        from tests.support.bundles import remove_cgroup_parent

        self.run("down", "-v", "--remove-orphans", "-t", "2", check=False)
        # Builds attach to the engine's default network, which outlives projects (as
        # Docker's does); it is the engine's, not the app's, so it goes here.
        networks = self.engine().networks
        if networks.exists("bridge"):
            networks.remove("bridge")
        try:
            assert_no_residue(self.layout)
        finally:
            remove_cgroup_parent(self.layout.instance_name)
            shutil.rmtree(self.layout.run_root, ignore_errors=True)
