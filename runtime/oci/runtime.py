"""The embedded OCI runtime: create, start, state, kill, delete, exec, run — as a library.

    runtime = EmbeddedRuntime(state_root)
    runtime.create("web", bundle, stdio=(0, out_fd, err_fd))   # set up, waiting
    runtime.start("web")                                        # execve the process
    status = runtime.wait("web")                                # ExitStatus(code, oom_killed)
    runtime.delete("web")

The calling process becomes a child subreaper on first use, so container
processes (grandchildren after the intermediate fork exits) are reparented to
it and `wait` can reap them. Containers are forked from the calling
interpreter; nothing re-executes Python.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import signal as signals
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runtime.errors import EngineError
from runtime.linux import namespaces
from runtime.linux.capabilities import (
    CAPABILITIES,
    CapabilitySets,
    has_capability,
    last_capability,
)
from runtime.linux.cgroups import CgroupDriver, CgroupResources, detect_driver
from runtime.linux.devices import DEFAULT_RULES, DeviceRule
from runtime.linux.namespaces import NamespaceRequest
from runtime.linux.process import set_child_subreaper
from runtime.oci import init, launch
from runtime.oci.plan import plan_container, plan_process
from runtime.oci.spec import Process, Resources, load_spec
from runtime.oci.state import (
    ContainerRecord,
    ContainerStateError,
    StateDirectory,
    check_id,
    process_start_time,
)

DEFAULT_STATE_ROOT = Path("/run/pycompose-runtime")
JOINED_ON_EXEC = ("ipc", "uts", "network", "pid", "cgroup", "mount")


@dataclass(frozen=True)
class ExitStatus:
    """How a container's process ended: Docker's exit code (128+signal) and OOMKilled."""

    code: int
    signal: int | None = None
    oom_killed: bool = False


def exit_status(wait_status: int, oom_killed: bool = False) -> ExitStatus:
    """An ExitStatus from a waitpid status word."""
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        return ExitStatus(128 + number, number, oom_killed)
    return ExitStatus(os.WEXITSTATUS(wait_status), None, oom_killed)


def resources_of(r: Resources | None) -> CgroupResources:
    """OCI linux.resources as the cgroup drivers' record."""
    if r is None:
        return CgroupResources()
    memory, cpu, pids = r.memory, r.cpu, r.pids
    return CgroupResources(
        memory_limit=memory.limit if memory else None,
        memory_reservation=memory.reservation if memory else None,
        memory_swap=memory.swap if memory else None,
        memory_swappiness=memory.swappiness if memory else None,
        cpu_shares=cpu.shares if cpu else None,
        cpu_quota=cpu.quota if cpu else None,
        cpu_period=cpu.period if cpu else None,
        cpuset_cpus=cpu.cpus if cpu else None,
        cpuset_mems=cpu.mems if cpu else None,
        pids_limit=pids.limit if pids else None,
        # Like runc, the nodes every container gets stay usable whatever the spec denies.
        devices=tuple(
            DeviceRule(d.allow, d.type or "a", d.major, d.minor, d.access or "rwm")
            for d in r.devices
        )
        + (DEFAULT_RULES[1:] if r.devices else ()),
    )


def _signal_number(value: int | str) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    name = str(value).upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return int(signals.Signals[name])
    except KeyError:
        raise EngineError(f"unknown signal {value!r}") from None


class EmbeddedRuntime:
    """OCI lifecycle operations on containers whose state lives under `state_root`."""

    name = "pycompose"

    def __init__(
        self,
        state_root: str | os.PathLike[str] = DEFAULT_STATE_ROOT,
        cgroups: CgroupDriver | None = None,
    ):
        self.states = StateDirectory(Path(state_root))
        self._cgroups = cgroups
        self._subreaper = False

    @property
    def cgroups(self) -> CgroupDriver:
        if self._cgroups is None:
            self._cgroups = detect_driver()
        return self._cgroups

    @property
    def seccomp_cache(self) -> Path:
        return self.states.root / ".seccomp"

    def _become_subreaper(self) -> None:
        if not self._subreaper:
            set_child_subreaper()
            self._subreaper = True

    # -- lifecycle -------------------------------------------------------------------------

    def create(
        self,
        container_id: str,
        bundle: str | os.PathLike[str],
        *,
        stdio: tuple[int, int, int] | None = None,
        console_socket: str | int | None = None,
        pid_file: str | os.PathLike[str] | None = None,
        preserve_fds: int = 0,
    ) -> ContainerRecord:
        """Set the container up and leave its process waiting for `start`.

        `stdio` are descriptors for the process's 0, 1, 2 (default: the caller's);
        `console_socket` (a unix socket path or connected descriptor) receives the
        pty master when process.terminal is set.
        """
        check_id(container_id)
        bundle_path = Path(bundle).resolve()
        spec = load_spec(bundle_path)
        cgroup_path = spec.linux.cgroups_path or f"/pycompose-runtime/{container_id}"
        if ":" in cgroup_path:
            raise EngineError(f"systemd cgroup paths are not supported: {cgroup_path}")
        plan = plan_container(
            spec, bundle_path, self.cgroups, cgroup_path, self.seccomp_cache, _can_raise_rlimits()
        )
        self._restrict_mknod_without_device_cgroup(plan.process)
        self._become_subreaper()
        directory = self.states.reserve(container_id)
        record = ContainerRecord(
            id=container_id,
            bundle=str(bundle_path),
            rootfs=plan.rootfs,
            created=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            cgroup_path=cgroup_path,
            annotations=dict(spec.annotations),
            notes=list(plan.process.notes),
        )
        fifo = directory / "exec.fifo"
        console_fd, own_console = None, False
        fifo_fd = -1
        try:
            console_fd, own_console = self._console(console_socket, plan.process.terminal)
            os.mkfifo(fifo, 0o622)
            fifo_fd = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
            self.cgroups.create(cgroup_path, resources_of(spec.linux.resources))
            channels_fifo = fifo_fd

            def join() -> None:
                self.cgroups.join(cgroup_path, 0)
                namespaces.join_and_unshare(plan.namespaces)

            def child(sync_fd: int) -> None:
                channels = init.Channels(sync_fd, channels_fifo, console_fd, stdio, preserve_fds)
                init.container_init(plan, channels)

            record.pid = launch.spawn(join, child)
            record.start_time = process_start_time(record.pid) or 0
            self.states.save(record)
        except BaseException:
            self._cleanup_failed(container_id, cgroup_path)
            raise
        finally:
            if fifo_fd >= 0:
                os.close(fifo_fd)
            if own_console and console_fd is not None:
                os.close(console_fd)
        if pid_file:
            Path(pid_file).write_text(str(record.pid))
        return record

    def _restrict_mknod_without_device_cgroup(self, process_plan: init.ProcessPlan) -> None:
        # Without a device controller (cgroup v2), CAP_MKNOD would let a container make
        # and open any device node: drop it, as podman does, unless all are allowed.
        if self.cgroups.enforces_device_rules() or process_plan.capabilities is None:
            return
        caps = process_plan.capabilities
        if set(caps.bounding) >= set(CAPABILITIES[: last_capability() + 1]):
            return  # privileged: every capability, every device

        def without(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(n for n in names if n != "CAP_MKNOD")

        process_plan.capabilities = CapabilitySets(
            without(caps.bounding),
            without(caps.effective),
            without(caps.permitted),
            without(caps.inheritable),
            without(caps.ambient),
        )

    def _console(self, console_socket: str | int | None, terminal: bool) -> tuple[int | None, bool]:
        if not terminal:
            return None, False
        if console_socket is None:
            raise EngineError("process.terminal is set: a console socket is required")
        if isinstance(console_socket, int):
            return console_socket, False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(console_socket)
        except OSError as exc:
            sock.close()
            raise EngineError(f"cannot connect to console socket {console_socket}: {exc}") from None
        return sock.detach(), True

    def _cleanup_failed(self, container_id: str, cgroup_path: str) -> None:
        try:
            if self.cgroups.exists(cgroup_path):
                for pid in self.cgroups.pids(cgroup_path):
                    _kill_quietly(pid, signals.SIGKILL)
                self.cgroups.remove(cgroup_path, prune_parent=_ours(cgroup_path))
        finally:
            self.states.remove(container_id)

    def start(self, container_id: str) -> None:
        """Let a created container's process execve its program."""
        record = self.states.load(container_id)
        fifo = self.states.fifo(container_id)
        if not fifo.exists():
            status = self.states.status(record)
            raise ContainerStateError(f"cannot start container {container_id}: it is {status}")
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            while True:
                try:
                    if os.read(fd, 1):
                        break
                except BlockingIOError:
                    pass
                if not record.alive():
                    raise ContainerStateError(f"container {container_id} died before start")
                time.sleep(0.0002)
        finally:
            os.close(fd)
            fifo.unlink(missing_ok=True)

    def state(self, container_id: str) -> dict[str, object]:
        """The OCI state JSON of a container."""
        return self.states.oci_state(self.states.load(container_id))

    def list_states(self) -> list[dict[str, object]]:
        """The OCI states of all containers under the state root."""
        out = []
        for container_id in self.states.ids():
            try:
                out.append(self.state(container_id))
            except ContainerStateError:
                continue
        return out

    def kill(
        self, container_id: str, signal: int | str = signals.SIGTERM, all: bool = False
    ) -> None:
        """Send `signal` to the container's process (or, with `all`, every process of it)."""
        number = _signal_number(signal)
        record = self.states.load(container_id)
        if all and record.cgroup_path:
            for pid in self.cgroups.pids(record.cgroup_path):
                _kill_quietly(pid, number)
            return
        if not record.alive():
            raise ContainerStateError(f"container {container_id} is not running")
        os.kill(record.pid, number)

    def update(self, container_id: str, resources: Resources) -> None:
        """Change a live container's limits (`docker update`); device rules stay as created."""
        record = self.states.load(container_id)
        if not record.cgroup_path:
            raise ContainerStateError(f"container {container_id} has no cgroup")
        limits = resources_of(resources)
        self.cgroups.update(record.cgroup_path, dataclasses.replace(limits, devices=()))

    def wait(self, container_id: str) -> ExitStatus:
        """Wait for the container's process to end (the caller must be its subreaper)."""
        record = self.states.load(container_id)
        try:
            _, status = os.waitpid(record.pid, 0)
        except ChildProcessError:
            while record.alive():
                time.sleep(0.01)
            return ExitStatus(-1, None, self._oom_killed(record))
        return exit_status(status, self._oom_killed(record))

    def _oom_killed(self, record: ContainerRecord) -> bool:
        if not record.cgroup_path or not self.cgroups.exists(record.cgroup_path):
            return False
        return self.cgroups.oom_kills(record.cgroup_path) > 0

    def delete(self, container_id: str, force: bool = False) -> None:
        """Remove a stopped container's cgroup and state; `force` kills it first."""
        record = self.states.load(container_id)
        status = self.states.status(record)
        if status != "stopped":
            if not force:
                raise ContainerStateError(
                    f"cannot delete container {container_id} that is not stopped: {status}"
                )
            _kill_quietly(record.pid, signals.SIGKILL)
        _reap(record.pid)
        if record.cgroup_path and self.cgroups.exists(record.cgroup_path):
            deadline = time.monotonic() + 5
            while True:
                remaining = self.cgroups.pids(record.cgroup_path)
                if not remaining:
                    break
                for pid in remaining:
                    _kill_quietly(pid, signals.SIGKILL)
                    _reap(pid, block=False)
                if time.monotonic() > deadline:
                    raise EngineError(f"container {container_id}: processes {remaining} remain")
                time.sleep(0.002)
            self.cgroups.remove(record.cgroup_path, prune_parent=_ours(record.cgroup_path))
        self.states.remove(container_id)

    def run(
        self,
        container_id: str,
        bundle: str | os.PathLike[str],
        *,
        stdio: tuple[int, int, int] | None = None,
        console_socket: str | int | None = None,
        keep: bool = False,
    ) -> ExitStatus:
        """create + start + wait (+ delete unless `keep`)."""
        self.create(container_id, bundle, stdio=stdio, console_socket=console_socket)
        try:
            self.start(container_id)
            return self.wait(container_id)
        finally:
            if not keep:
                self.delete(container_id, force=True)

    def exec(
        self,
        container_id: str,
        process: Process,
        *,
        stdio: tuple[int, int, int] | None = None,
        console_socket: str | int | None = None,
        pid_file: str | os.PathLike[str] | None = None,
        preserve_fds: int = 0,
    ) -> int:
        """Start `process` inside a running container; return its pid (wait with wait_pid).

        It joins the container's cgroup and namespaces, then takes the user,
        capabilities, seccomp filter, rlimits and environment of `process`
        (build it from the container's spec with `exec_process_from`).
        """
        record = self.states.load(container_id)
        if self.states.status(record) != "running":
            raise ContainerStateError(f"container {container_id} is not running")
        spec = load_spec(record.bundle)
        plan = plan_process(process, spec.linux.seccomp, self.seccomp_cache, _can_raise_rlimits())
        self._restrict_mknod_without_device_cgroup(plan)
        self._become_subreaper()
        requests = [
            NamespaceRequest(kind, namespaces.namespace_path(record.pid, kind))
            for kind in JOINED_ON_EXEC
            if namespaces.namespace_id(record.pid, kind) != namespaces.namespace_id("self", kind)
        ]
        console_fd, own_console = self._console(console_socket, plan.terminal)
        cgroup_path = record.cgroup_path

        def join() -> None:
            if cgroup_path:
                self.cgroups.join(cgroup_path, 0)
            namespaces.join_and_unshare(requests)

        def child(sync_fd: int) -> None:
            init.exec_init(plan, init.Channels(sync_fd, None, console_fd, stdio, preserve_fds))

        try:
            pid = launch.spawn(join, child)
        finally:
            if own_console and console_fd is not None:
                os.close(console_fd)
        if pid_file:
            Path(pid_file).write_text(str(pid))
        return pid

    def exec_process_from(self, container_id: str, args: list[str], **changes: object) -> Process:
        """A Process for `exec`: the container's own (user, caps, env, rlimits) with new args."""
        spec = load_spec(self.states.load(container_id).bundle)
        if spec.process is None:
            raise EngineError(f"container {container_id} has no process section")
        base = Process.from_dict(spec.process.to_dict())
        base.args = list(args)
        base.terminal = False
        for key, value in changes.items():
            setattr(base, key, value)
        return base


def wait_pid(pid: int) -> ExitStatus:
    """Reap a process started by `exec` (the caller is its subreaper)."""
    _, status = os.waitpid(pid, 0)
    return exit_status(status)


def _can_raise_rlimits() -> bool:
    # Raising a hard rlimit needs CAP_SYS_RESOURCE, which some engines run without.
    return has_capability("CAP_SYS_RESOURCE")


def _ours(cgroup_path: str) -> bool:
    parent = cgroup_path.strip("/").split("/")
    return len(parent) > 1 and parent[-2].startswith("pycompose")


def _kill_quietly(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise


def _reap(pid: int, block: bool = True) -> None:
    """Collect a dead child's status if it is ours, so no zombie is left."""
    if pid <= 0:
        return
    try:
        deadline = time.monotonic() + 5
        while True:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid or not block or time.monotonic() > deadline:
                return
            time.sleep(0.001)
    except ChildProcessError:
        return
