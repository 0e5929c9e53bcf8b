"""One lifecycle over the OCI runtimes a container can use: the embedded one, crun, runc.

    runtime = open_runtime("crun", state_root)
    pid = runtime.create(cid, bundle, stdio=(0, 1, 2), console=sock_fd)
    runtime.start(cid)
    handle = runtime.exec(cid, process, stdio=(0, 1, 2), console=None)
    handle.wait()                                    # ExitStatus
    runtime.delete(cid, force=True)

A terminal's pty master always arrives on `console`, a connected unix socket
descriptor (one end of a socketpair): the embedded runtime sends it there;
for crun and runc, which want a socket path, it is received on a private
listening socket and passed on. Standard library only (monitor helpers use it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from runtime.errors import EngineError
from runtime.linux import terminal
from runtime.oci.backends import CommandRuntime
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus, exit_status, wait_pid
from runtime.oci.spec import Process
from runtime.oci.state import ContainerStateError


class ExecHandle:
    """A process started in a container: its pid and how to wait for it."""

    def __init__(self, pid: int, popen: subprocess.Popen[bytes] | None = None):
        self.pid = pid
        self._popen = popen

    def wait(self) -> ExitStatus:
        """Wait for the process to end (the caller is its parent or subreaper)."""
        if self._popen is not None:
            code = self._popen.wait()
            return ExitStatus(128 - code if code < 0 else code, -code if code < 0 else None)
        return wait_pid(self.pid)

    def poll(self) -> ExitStatus | None:
        """The exit status if the process has ended, else None."""
        if self._popen is not None:
            code = self._popen.poll()
            if code is None:
                return None
            return ExitStatus(128 - code if code < 0 else code, -code if code < 0 else None)
        waited, status = os.waitpid(self.pid, os.WNOHANG)
        return exit_status(status) if waited == self.pid else None


class EmbeddedAdapter:
    """The embedded runtime, in this process."""

    def __init__(self, state_root: Path):
        self.runtime = EmbeddedRuntime(state_root)
        self.name = "pycompose"

    def create(
        self, container_id: str, bundle: Path, stdio: tuple[int, int, int], console: int | None
    ) -> int:
        record = self.runtime.create(container_id, bundle, stdio=stdio, console_socket=console)
        return record.pid

    def start(self, container_id: str) -> None:
        self.runtime.start(container_id)

    def exists(self, container_id: str) -> bool:
        return (self.runtime.states.path(container_id) / "state.json").exists()

    def delete(self, container_id: str) -> None:
        if self.exists(container_id):
            self.runtime.delete(container_id, force=True)

    def exec(
        self,
        container_id: str,
        process: Process,
        stdio: tuple[int, int, int],
        console: int | None,
    ) -> ExecHandle:
        pid = self.runtime.exec(container_id, process, stdio=stdio, console_socket=console)
        return ExecHandle(pid)


class CommandAdapter:
    """crun or runc through their command line."""

    def __init__(self, program: str, state_root: Path):
        self.runtime = CommandRuntime(program, state_root)
        self.name = self.runtime.name
        self.state_root = state_root

    def create(
        self, container_id: str, bundle: Path, stdio: tuple[int, int, int], console: int | None
    ) -> int:
        if console is None:
            return self.runtime.create(container_id, bundle, stdio=stdio)
        with _ConsoleRelay(console) as path:
            return self.runtime.create(container_id, bundle, stdio=stdio, console_socket=path)

    def start(self, container_id: str) -> None:
        self.runtime.start(container_id)

    def exists(self, container_id: str) -> bool:
        return (self.state_root / container_id).exists()

    def delete(self, container_id: str) -> None:
        if self.exists(container_id):
            try:
                self.runtime.delete(container_id, force=True)
            except EngineError:
                if self.exists(container_id):
                    raise

    def exec(
        self,
        container_id: str,
        process: Process,
        stdio: tuple[int, int, int],
        console: int | None,
    ) -> ExecHandle:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(process.to_dict(), handle)
        argv = self.runtime._argv("exec", "--process", handle.name)
        try:
            if console is None:
                argv.append(container_id)
                popen = subprocess.Popen(argv, stdin=stdio[0], stdout=stdio[1], stderr=stdio[2])
                return ExecHandle(popen.pid, popen)
            with _ConsoleRelay(console) as path:
                argv += ["--console-socket", path, container_id]
                popen = subprocess.Popen(argv, stdin=stdio[0], stdout=stdio[1], stderr=stdio[2])
                return ExecHandle(popen.pid, popen)
        finally:
            # crun reads the file before it forks the process; the relay waited for that.
            Path(handle.name).unlink(missing_ok=True)


class _ConsoleRelay:
    """A listening socket path for crun/runc's console; its pty master goes on to `target`."""

    def __init__(self, target: int):
        self.target = target
        self.directory = tempfile.mkdtemp(prefix="pycompose-console-")
        self.path = os.path.join(self.directory, "console.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.server.settimeout(30)
                connection, _ = self.server.accept()
                with connection:
                    master = terminal.receive_fd(connection)
                terminal.send_fd(self.target, master)
                os.close(master)
        finally:
            self.server.close()
            shutil.rmtree(self.directory, ignore_errors=True)


Adapter = EmbeddedAdapter | CommandAdapter


def open_runtime(name: str, state_root: Path) -> Adapter:
    """The adapter for a runtime name: `pycompose` (embedded), `crun`, `runc` or a program path."""
    if name in ("pycompose", "embedded", ""):
        return EmbeddedAdapter(state_root)
    if shutil.which(name) is None and not os.path.exists(name):
        raise EngineError(f"OCI runtime {name!r} is not installed")
    return CommandAdapter(name, state_root)


__all__ = ["Adapter", "ContainerStateError", "ExecHandle", "open_runtime"]
