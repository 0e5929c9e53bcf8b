"""Which OCI runtime runs a bundle: the embedded one, or `crun` / `runc` by command line.

All three take the same bundle and the same verbs, so the container layer
can switch with `--runtime crun` and tests can compare their results.
"""

from __future__ import annotations

import json
import os
import shutil
import signal as signals
import subprocess
from pathlib import Path
from typing import Protocol

from runtime.errors import CommandError, EngineError
from runtime.external import require_program, run_command
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus, exit_status


class OCIRuntime(Protocol):
    """The lifecycle every runtime offers."""

    name: str

    def create(
        self,
        container_id: str,
        bundle: str | os.PathLike[str],
        *,
        stdio: tuple[int, int, int] | None = None,
        console_socket: str | None = None,
        pid_file: str | os.PathLike[str] | None = None,
    ) -> object: ...

    def start(self, container_id: str) -> None: ...

    def state(self, container_id: str) -> dict[str, object]: ...

    def kill(self, container_id: str, signal: int | str = ..., all: bool = False) -> None: ...

    def delete(self, container_id: str, force: bool = False) -> None: ...


class CommandRuntime:
    """A runc-compatible program (`crun`, `runc`, `pycompose-runtime`) driven by its CLI."""

    def __init__(self, program: str, state_root: str | os.PathLike[str] | None = None):
        self.name = os.path.basename(program)
        self.program = require_program(program) if "/" not in program else program
        self.state_root = str(state_root) if state_root else None
        self._pids: dict[str, int] = {}

    def _argv(self, *args: str) -> list[str]:
        root = ["--root", self.state_root] if self.state_root else []
        return [self.program, *root, *args]

    def create(
        self,
        container_id: str,
        bundle: str | os.PathLike[str],
        *,
        stdio: tuple[int, int, int] | None = None,
        console_socket: str | None = None,
        pid_file: str | os.PathLike[str] | None = None,
    ) -> int:
        """`<runtime> create`; the container's stdio are `stdio` (default: inherited)."""
        pid_path = Path(pid_file) if pid_file else Path(bundle) / f".{container_id}.pid"
        argv = self._argv("create", "--bundle", str(bundle), "--pid-file", str(pid_path))
        if console_socket:
            argv += ["--console-socket", console_socket]
        argv.append(container_id)
        stdin, stdout, stderr = stdio if stdio else (None, None, None)
        result = subprocess.run(
            argv, stdin=stdin, stdout=stdout, stderr=stderr, check=False, pass_fds=()
        )
        if result.returncode != 0:
            raise CommandError(f"{self.name} create {container_id} exited with {result.returncode}")
        pid = int(pid_path.read_text())
        if not pid_file:
            pid_path.unlink()
        self._pids[container_id] = pid
        return pid

    def start(self, container_id: str) -> None:
        run_command(self._argv("start", container_id), what=f"{self.name} start")

    def state(self, container_id: str) -> dict[str, object]:
        result = run_command(self._argv("state", container_id), what=f"{self.name} state")
        data: dict[str, object] = json.loads(result.stdout)
        return data

    def kill(
        self, container_id: str, signal: int | str = signals.SIGTERM, all: bool = False
    ) -> None:
        argv = self._argv("kill", *(["--all"] if all else []), container_id, str(signal))
        run_command(argv, what=f"{self.name} kill")

    def delete(self, container_id: str, force: bool = False) -> None:
        pid = self._pids.pop(container_id, 0)
        argv = self._argv("delete", *(["--force"] if force else []), container_id)
        run_command(argv, what=f"{self.name} delete")
        if pid > 0:
            # The container process may have been reparented to us (a subreaper): reap it.
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass

    def run(self, container_id: str, bundle: str | os.PathLike[str]) -> ExitStatus:
        """`<runtime> run`: create, start, wait, delete in one command."""
        argv = self._argv("run", "--bundle", str(bundle), container_id)
        result = subprocess.run(argv, check=False)
        return exit_status(result.returncode << 8)


def runtime_for(name: str, state_root: str | os.PathLike[str] | None = None) -> OCIRuntime:
    """`pycompose` (embedded, in-process), or any runc-compatible program on PATH."""
    if name in ("pycompose", "embedded", ""):
        return EmbeddedRuntime(state_root) if state_root else EmbeddedRuntime()
    if shutil.which(name) is None and not os.path.exists(name):
        raise EngineError(f"OCI runtime {name!r} is not installed")
    return CommandRuntime(name, state_root)
