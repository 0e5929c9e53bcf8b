"""start, stop, kill, pause, unpause, and the clean-up after a container's process ended.

    start   rootfs mounted, sandbox up (pin, veths, ports, name files), monitor spawned;
            the monitor creates and starts the process and records it
    stop    stop_requested, the monitor told that the caller cleans up, the stop
            signal, the grace period, SIGKILL to every process of the cgroup
    clean   veths and ports released, the runtime's state and cgroup deleted, the
            rootfs unmounted; done by the stopper, by the monitor's exit command, or
            by the next command that finds it undone (a killed monitor or caller)

Waiting for a process to end uses a pidfd (also for processes that are not
our children), so nothing polls /proc in a loop.
"""

from __future__ import annotations

import os
import select
import signal as signals
import sys
from typing import TYPE_CHECKING, Any

from runtime.containers import rootfs, sandbox, state
from runtime.containers.errors import ContainerError, ContainerStartError, ContainerStateConflict
from runtime.containers.launcher import spawn_monitor, write_config
from runtime.containers.model import HealthcheckPlan
from runtime.containers.monitor import protocol
from runtime.containers.paths import ContainerPaths, runtime_state_root
from runtime.crashpoints import crashpoint
from runtime.linux.cgroups import detect_driver
from runtime.oci.spec import load_spec, write_spec

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container

FATAL_SIGNALS = {signals.SIGKILL, signals.SIGTERM, signals.SIGINT, signals.SIGQUIT}
MONITOR_EXIT_TIMEOUT = 30.0


def signal_number(value: str | int) -> int:
    """`KILL`, `SIGKILL`, `sigkill`, `9` or 9 as a number; ContainerError if it is none."""
    if isinstance(value, int) or value.isdigit():
        number = int(value)
        if 0 < number < signals.SIGRTMAX + 1:
            return number
        raise ContainerError(f"invalid signal: {value}")
    name = value.upper()
    name = name if name.startswith("SIG") else "SIG" + name
    try:
        return int(signals.Signals[name])
    except KeyError:
        raise ContainerError(f"invalid signal: {value}") from None


def wait_gone(pid: int, start: int, timeout: float) -> bool:
    """Wait until the process `pid` (started at `start`) has ended; False on timeout."""
    if not state.same_process(pid, start):
        return True
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        if not state.same_process(pid, start):
            return True
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def send_signal(pid: int, start: int, number: int) -> bool:
    """Signal the process if it is still the recorded one; whether it was."""
    if not state.same_process(pid, start):
        return False
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        return False
    return True


def _plan(container: Container) -> sandbox.SandboxPlan:
    return sandbox.SandboxPlan(**container.resolved["sandbox"])


def monitor_config(manager: Containers, container: Container, attach: bool) -> dict[str, Any]:
    """What the monitor needs to know (monitor.json)."""
    layout = manager.store.layout
    paths = ContainerPaths(layout, container.id)
    log = container.request.log
    health = container.resolved.get("health")
    oom_file, _ = detect_driver().oom_file(container.resolved["cgroup"])
    restart = container.request.restart
    return {
        "id": container.id,
        "name": container.name,
        "image": container.image,
        "labels": dict(container.labels),
        "database": str(layout.database),
        "bell": str(manager.registry.bell),
        "runtime": container.runtime,
        "state_root": str(runtime_state_root(layout, container.runtime)),
        "bundle": str(paths.bundle),
        "attach_socket": str(paths.attach_socket),
        "log_driver": log.driver,
        "log_path": str(paths.log),
        "log_max_size": log.max_size or 0,
        "log_max_file": log.max_file,
        "tty": container.spec.tty,
        "stdin": container.spec.stdin_open,
        "stdin_once": container.request.stdin_once,
        "restart": restart.name,
        "restart_max": restart.maximum_retry_count,
        "restart_count": 0,
        "health": health,
        "health_argv": HealthcheckPlan(**health).argv if health else [],
        "oom_file": str(oom_file),
        "cgroup": container.resolved["cgroup"],
        "attach_wait": attach,
        "exit_command": [
            sys.executable,
            "-m",
            "runtime.containers.cleanup",
            "--root",
            str(layout.root),
            "--run-root",
            str(layout.run_root),
            container.id,
        ],
    }


def _refresh_shared_namespaces(manager: Containers, container: Container) -> None:
    from runtime.containers.creation import shared_namespace_paths

    paths = shared_namespace_paths(manager, container.spec)
    if not paths:
        return
    directory = ContainerPaths(manager.store.layout, container.id).bundle
    spec = load_spec(directory)
    for namespace in spec.linux.namespaces:
        if namespace.type in paths:
            namespace.path = paths[namespace.type]
    write_spec(directory, spec)


def start_container(manager: Containers, key: str, attach: bool) -> Container:
    """Start a created or stopped container under a new monitor (see the module docstring)."""
    container_id = manager.registry.row(key)["id"]
    with manager.registry.lock(container_id):
        row = manager.registry.row(container_id)
        container = manager.registry.container(row)
        status = container.state.status
        if status == "paused":
            raise ContainerStateConflict(
                f"cannot start a paused container {container.name}, try unpause instead"
            )
        if status in ("running", "restarting"):
            return container
        if state.cleanup_needed(row):
            clean_up(manager, container_id)
        paths = ContainerPaths(manager.store.layout, container_id)
        plan = _plan(container)
        if plan.mode == "container":
            owner = manager.find(plan.owner)
            if owner is None or owner.state.status not in ("running", "paused"):
                name = owner.name if owner else plan.owner[:12]
                raise ContainerError(f"cannot join network of a non running container: {name}")
        try:
            manager.registry.update(
                container_id, {"cleanup_pending": 1, "stop_requested": 0, "error": ""}
            )
            crashpoint(f"start {container.name}: marked")
            if not rootfs.is_mounted(paths.rootfs.merged):
                rootfs.mount_rootfs(paths.rootfs, manager.images.lower_dirs(container.image_id))
            crashpoint(f"start {container.name}: rootfs mounted")
            sandbox.bring_up(manager.networks, container, plan, paths.files)
            crashpoint(f"start {container.name}: network up")
            _refresh_shared_namespaces(manager, container)
            write_config(paths.monitor_config, monitor_config(manager, container, attach))
            started = spawn_monitor(paths.monitor_config, paths.monitor_log)
            crashpoint(f"start {container.name}: monitor spawned")
            try:
                message = started.read()
            finally:
                started.close()
            crashpoint(f"start {container.name}: started")
            if "error" in message:
                raise ContainerStartError(
                    str(message["error"]), int(message.get("exit_code") or 128)
                )
        except BaseException as exc:
            if not isinstance(exc, ContainerStartError):
                manager.registry.update(container_id, {"error": str(exc)})
            clean_up(manager, container_id)
            raise
    return manager.get(container_id)


def clean_up(manager: Containers, container_id: str, release_network: bool = True) -> None:
    """What a stopped container leaves behind goes (idempotent; the caller holds its lock)."""
    from runtime.containers.runtimes import open_runtime

    row = manager.registry.row(container_id)
    container = manager.registry.container(row)
    if row["status"] in state.LIVE_STATUSES:
        if state.monitor_alive(row) or state.process_alive(row):
            raise ContainerStateConflict(f"container {container.name} is still running")
        manager.registry.update(
            container_id,
            {
                "status": "exited",
                "exit_code": state.UNKNOWN_EXIT,
                "error": state.EXIT_UNKNOWN,
                "pid": 0,
                "finished_at": container.state.finished_at or _now(),
            },
            [("die", {"exitCode": str(state.UNKNOWN_EXIT)})],
        )
    paths = ContainerPaths(manager.store.layout, container_id)
    if release_network:
        sandbox.release(manager.networks, container_id, _plan(container))
    layout = manager.store.layout
    open_runtime(container.runtime, runtime_state_root(layout, container.runtime)).delete(
        container_id, container.resolved.get("cgroup")
    )
    rootfs.unmount_rootfs(paths.rootfs)
    manager.registry.update(container_id, {"cleanup_pending": 0})


def _now() -> str:
    from runtime.containers.timestamps import format_timestamp

    return format_timestamp()


def _kill_all(container: Container, number: int) -> None:
    driver = detect_driver()
    cgroup = container.resolved.get("cgroup")
    if cgroup and driver.exists(cgroup):
        for pid in driver.pids(cgroup):
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass


def _thaw(container: Container) -> None:
    driver = detect_driver()
    cgroup = container.resolved.get("cgroup")
    if cgroup and driver.exists(cgroup) and driver.is_frozen(cgroup):
        driver.freeze(cgroup, False)


def stop_container(
    manager: Containers,
    key: str,
    timeout: float | None,
    signal: str | int | None,
    release_network: bool = True,
) -> Container:
    """Stop signal, grace period, SIGKILL; then the clean-up (see the module docstring)."""
    row = manager.registry.row(key)
    container_id = row["id"]
    container = manager.registry.container(row)
    if container.state.status not in state.LIVE_STATUSES:
        stop_waiting_monitor(manager, row)
        if state.cleanup_needed(manager.registry.row(container_id)):
            with manager.registry.lock(container_id):
                clean_up(manager, container_id)
        return manager.get(container_id)
    grace = container.spec.stop_grace_period if timeout is None else timeout
    number = signal_number(signal or container.spec.effective_stop_signal)
    manager.registry.update(container_id, {"stop_requested": 1})
    paths = ContainerPaths(manager.store.layout, container_id)
    watched = state.monitor_alive(row)
    if watched:
        protocol.send_message(str(paths.attach_socket), protocol.STOP)
    killed = False
    pid, start = int(row["pid"]), int(row["pid_start"])
    if send_signal(pid, start, number):
        manager.registry.event(container_id, "kill", {"signal": str(number)})
        _thaw(container)
        if not wait_gone(pid, start, max(grace, 0)):
            _kill_all(container, signals.SIGKILL)
            send_signal(pid, start, signals.SIGKILL)
            manager.registry.event(container_id, "kill", {"signal": str(int(signals.SIGKILL))})
            killed = True
            wait_gone(pid, start, 10)
    if watched:
        wait_gone(int(row["monitor_pid"]), int(row["monitor_start"]), MONITOR_EXIT_TIMEOUT)
    with manager.registry.lock(container_id):
        row = manager.registry.row(container_id)
        if row["status"] in state.LIVE_STATUSES and not state.monitor_alive(row):
            code = 128 + signals.SIGKILL if killed else state.UNKNOWN_EXIT
            manager.registry.update(
                container_id,
                {
                    "status": "exited",
                    "exit_code": code,
                    "error": "" if killed else state.EXIT_UNKNOWN,
                    "pid": 0,
                    "finished_at": _now(),
                    "cleanup_pending": 1,
                },
                [("die", {"exitCode": str(code)})],
            )
        if state.cleanup_needed(manager.registry.row(container_id)):
            clean_up(manager, container_id, release_network)
    manager.registry.event(container_id, "stop")
    return manager.get(container_id)


def stop_waiting_monitor(manager: Containers, row: state.Row) -> None:
    """A monitor still waiting for its first attach client is told to give up, and waited for.

    Only while the container is "created": a monitor of an exited container is
    finishing (it may be running the exit command that called us).
    """
    if row["status"] == "created" and state.monitor_alive(row):
        paths = ContainerPaths(manager.store.layout, row["id"])
        protocol.send_message(str(paths.attach_socket), protocol.STOP)
        wait_gone(int(row["monitor_pid"]), int(row["monitor_start"]), MONITOR_EXIT_TIMEOUT)


def kill_container(manager: Containers, key: str, signal: str | int) -> Container:
    """Send a signal to the main process; a fatal one (or the stop signal) disables restarts."""
    row = manager.registry.row(key)
    container_id = row["id"]
    container = manager.registry.container(row)
    number = signal_number(signal)
    pid, start = int(row["pid"]), int(row["pid_start"])
    if container.state.status not in ("running", "paused") or not state.process_alive(row):
        raise ContainerStateConflict(
            f"cannot kill container: {key}: container {container_id} is not running"
        )
    stop_signal = signal_number(container.spec.effective_stop_signal)
    if number in FATAL_SIGNALS or number == stop_signal:
        manager.registry.update(container_id, {"stop_requested": 1})
    if not send_signal(pid, start, number):
        raise ContainerStateConflict(f"container {container_id} is not running")
    manager.registry.event(container_id, "kill", {"signal": str(number)})
    if number in FATAL_SIGNALS:
        _thaw(container)
    if number == signals.SIGKILL:
        wait_gone(pid, start, 10)
        if state.monitor_alive(row):
            manager.wait_for(
                container_id,
                lambda c: c is None or c.state.status not in state.LIVE_STATUSES,
                timeout=MONITOR_EXIT_TIMEOUT,
            )
        else:
            with manager.registry.lock(container_id):
                if state.cleanup_needed(manager.registry.row(container_id)):
                    clean_up(manager, container_id)
    return manager.get(container_id)


def pause_container(manager: Containers, key: str, paused: bool) -> Container:
    """Freeze or thaw every process of the container with the cgroup freezer."""
    row = manager.registry.row(key)
    container = manager.registry.container(row)
    status = container.state.status
    if paused and status == "paused":
        raise ContainerStateConflict(f"container {container.id} is already paused")
    if paused and status != "running":
        raise ContainerStateConflict(f"container {container.id} is not running")
    if not paused and status != "paused":
        raise ContainerStateConflict(f"container {container.id} is not paused")
    detect_driver().freeze(container.resolved["cgroup"], paused)
    manager.registry.update(
        container.id,
        {"status": "paused" if paused else "running"},
        [("pause" if paused else "unpause", {})],
    )
    paths = ContainerPaths(manager.store.layout, container.id)
    protocol.send_message(
        str(paths.attach_socket), protocol.PAUSED if paused else protocol.UNPAUSED
    )
    return manager.get(container.id)
