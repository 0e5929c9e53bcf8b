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
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus, wait_pid
from runtime.oci.spec import Process
from runtime.oci.state import ContainerStateError


class ExecHandle:
    """A process started in a container: its pid and how to wait for it."""

    def __init__(
        self, pid: int, popen: subprocess.Popen[bytes] | None = None, cleanup: Path | None = None
    ):
        self.pid = pid
        self._popen = popen
        self._cleanup = cleanup

    def wait(self) -> ExitStatus:
        """Wait for the process to end (the caller is its parent or subreaper)."""
        if self._popen is None:
            return wait_pid(self.pid)
        code = self._popen.wait()
        if self._cleanup is not None:
            self._cleanup.unlink(missing_ok=True)
        return ExitStatus(128 - code if code < 0 else code, -code if code < 0 else None)


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

    def delete(self, container_id: str, cgroup: str | None = None) -> None:
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
        hybrid = os.path.basename(program) == "crun" and _hybrid_cgroups()
        self.runtime = (
            _HybridCrun(program, state_root) if hybrid else CommandRuntime(program, state_root)
        )
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

    def delete(self, container_id: str, cgroup: str | None = None) -> None:
        if self.exists(container_id):
            try:
                self.runtime.delete(container_id, force=True)
            except EngineError:
                if self.exists(container_id):
                    raise
        if cgroup:
            if isinstance(self.runtime, _HybridCrun):
                self.runtime.remove_hidden_cgroups(cgroup)
            prune_parent_cgroups(cgroup)

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
        if console is None:
            argv.append(container_id)
            popen = subprocess.Popen(argv, stdin=stdio[0], stdout=stdio[1], stderr=stdio[2])
        else:
            with _ConsoleRelay(console) as path:
                argv += ["--console-socket", path, container_id]
                popen = subprocess.Popen(argv, stdin=stdio[0], stdout=stdio[1], stderr=stdio[2])
        # The runtime reads the process file at some point before the process ends.
        return ExecHandle(popen.pid, popen, cleanup=Path(handle.name))


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


UNIFIED = "/sys/fs/cgroup/unified"


def _hybrid_cgroups() -> bool:
    """v1 hierarchies beside a cgroup2 mount with controllers, which crun 1.x refuses."""
    try:
        with open(f"{UNIFIED}/cgroup.controllers") as handle:
            return bool(handle.read().split()) and os.path.ismount(UNIFIED)
    except OSError:
        return False


class _HybridCrun(CommandRuntime):
    """crun run from a mount namespace of its own where the hybrid cgroup2 mount is hidden.

    There crun sees the plain directory under the mount point and creates its
    cgroup path in it; `remove_hidden_cgroups` takes those directories back.
    """

    HIDE = f'umount {UNIFIED} && exec "$@"'

    def _argv(self, *args: str) -> list[str]:
        return ["unshare", "--mount", "--", "sh", "-c", self.HIDE, "sh", *super()._argv(*args)]

    def remove_hidden_cgroups(self, cgroup: str) -> None:
        """Remove the directories crun made for `cgroup` (and its parent, once empty)."""
        parts = [p for p in cgroup.split("/") if p and p not in (".", "..")]
        if not parts:
            return
        leaf, parent = f"{UNIFIED}/{'/'.join(parts)}", f"{UNIFIED}/{parts[0]}"
        script = f'umount {UNIFIED} && rm -rf -- "$1" && {{ rmdir "$2" 2>/dev/null; true; }}'
        argv = ["unshare", "--mount", "--", "sh", "-c", script, "sh", leaf, parent]
        subprocess.run(argv, check=False)


def prune_parent_cgroups(cgroup: str) -> None:
    """Remove the engine's parent cgroup wherever runc or crun left it empty (v1, unified)."""
    parent = cgroup.strip("/").split("/")[0]
    if not parent.startswith("pycompose"):
        return
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        for directory in (hierarchy / cgroup.strip("/"), hierarchy / parent):
            try:
                directory.rmdir()
            except OSError:
                pass


Adapter = EmbeddedAdapter | CommandAdapter


def open_runtime(name: str, state_root: Path) -> Adapter:
    """The adapter for a runtime name: `pycompose` (embedded), `crun`, `runc` or a program path."""
    if name in ("pycompose", "embedded", ""):
        return EmbeddedAdapter(state_root)
    if shutil.which(name) is None and not os.path.exists(name):
        raise EngineError(f"OCI runtime {name!r} is not installed")
    return CommandAdapter(name, state_root)


__all__ = ["Adapter", "ContainerStateError", "ExecHandle", "open_runtime"]
