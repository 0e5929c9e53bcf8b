"""`Containers`: the container manager the orchestrator and the CLI call.

    containers = Engine(store).containers
    c = containers.create(ContainerRequest(spec, "busybox", ports=parse_port_spec("8080:80")))
    containers.start(c.id)                       # a monitor process now owns it
    containers.exec(c.id, ExecOptions(("sh", "-c", "hostname")))
    containers.stop(c.id)                        # stop signal, grace period, SIGKILL
    containers.remove(c.id, volumes=True)

Every record lives in the store (component "containers"); the kernel (/proc,
cgroups, mounts) is asked whether what the store says is still true. Each
running container has a monitor (runtime/containers/monitor), which records
its exit, writes its logs, runs its healthcheck and applies its restart
policy; the CLI can exit and come back.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from runtime.containers import events, lifecycle, removal
from runtime.containers.model import (
    Container,
    ContainerRequest,
    Event,
    ExecOptions,
    LogEntry,
)
from runtime.containers.registry import Registry
from runtime.containers.state import LIVE_STATUSES

if TYPE_CHECKING:
    from runtime.images.imagestore import Image, ImageStore
    from runtime.network import Networks, PublishedPort
    from runtime.store import Store
    from runtime.volumes import VolumeStore

WaitCondition = str  # "not-running" | "next-exit" | "removed"


class Containers:
    """Containers of one engine root."""

    def __init__(
        self,
        store: Store,
        images: ImageStore,
        volumes: VolumeStore,
        networks: Networks | Callable[[], Networks],
        runtime: str = "pycompose",
    ):
        self.store = store
        self.images = images
        self.volumes = volumes
        self._networks = networks
        self.default_runtime = runtime
        self.registry = Registry(store)

    @property
    def networks(self) -> Networks:
        """The network layer (made on first use: listing containers needs no netlink)."""
        if callable(self._networks):
            self._networks = self._networks()
        return self._networks

    # -- lookup ----------------------------------------------------------------------------

    def get(self, key: str) -> Container:
        """The container named `key`, or with id or unique id prefix `key`; ContainerNotFound."""
        return self.registry.container(self.registry.row(key))

    def find(self, key: str) -> Container | None:
        """Like `get`, but None when nothing matches."""
        row = self.registry.find_row(key)
        return self.registry.container(row) if row is not None else None

    def list(
        self,
        *,
        all: bool = False,
        labels: Mapping[str, str | None] | None = None,
        names: Sequence[str] = (),
    ) -> builtins.list[Container]:
        """Running containers (every one with `all`), newest first; `labels` value None: key set.

        Cheap: one query and a few /proc reads per container, no process spawned.
        """
        labels_of = self.registry.all_labels()
        from runtime.containers.state import container_from_row

        found = []
        for row in self.registry.rows(labels, names):
            container = container_from_row(
                row, labels_of.get(row["id"], {}), self.store.layout.containers
            )
            if all or container.state.status in LIVE_STATUSES:
                found.append(container)
        return found

    def inspect(self, key: str) -> dict[str, object]:
        """The container as `docker inspect` shows it (Id, State, Config, HostConfig, ...)."""
        from runtime.containers.inspection import inspect_container

        return inspect_container(self, self.get(key))

    # -- lifecycle -------------------------------------------------------------------------

    def create(self, request: ContainerRequest) -> Container:
        """Make a container (image held, rootfs layers, volumes, bundle); it is not started."""
        from runtime.containers.creation import create_container
        from runtime.containers.recovery import recover_containers

        recover_containers(self)  # a dead create's row may hold the name
        return create_container(self, request)

    def start(self, key: str, *, attach: bool = False) -> Container:
        """Start a created or stopped container under a new monitor; no-op if it runs.

        With `attach`, the monitor waits for an `attach` client before the
        process starts, so nothing of its output is missed.
        """
        return lifecycle.start_container(self, key, attach)

    def stop(self, key: str, timeout: float | None = None, signal: str | None = None) -> Container:
        """Send the stop signal, wait `timeout` (default: the container's grace period), SIGKILL."""
        return lifecycle.stop_container(self, key, timeout, signal)

    def kill(self, key: str, signal: str | int = "SIGKILL") -> Container:
        """Send a signal to the container's main process; a fatal one (KILL, TERM, INT, QUIT or
        the stop signal) keeps the restart policy from restarting it, as Docker's kill."""
        return lifecycle.kill_container(self, key, signal)

    def restart(self, key: str, timeout: float | None = None) -> Container:
        """stop, then start."""
        container = lifecycle.stop_container(self, key, timeout, None)
        self.registry.event(container.id, "restart")
        return lifecycle.start_container(self, container.id, False)

    def pause(self, key: str) -> Container:
        """Freeze every process of the container (cgroup freezer)."""
        return lifecycle.pause_container(self, key, True)

    def unpause(self, key: str) -> Container:
        """Thaw a paused container."""
        return lifecycle.pause_container(self, key, False)

    def remove(
        self, key: str, *, force: bool = False, volumes: bool = False, keep_sandbox: bool = False
    ) -> None:
        """Remove a stopped container (`force` stops it first); `volumes` removes its anonymous
        volumes; `keep_sandbox` keeps its pinned network namespace for a successor
        (`ContainerRequest.sandbox`)."""
        from runtime.containers.recovery import recover_containers

        recover_containers(self)  # a dead create or rm: removed as asked, or not found
        removal.remove_container(self, key, force=force, volumes=volumes, keep_sandbox=keep_sandbox)

    def prune(self, labels: Mapping[str, str | None] | None = None) -> builtins.list[str]:
        """Remove every stopped container (matching `labels`); return their ids."""
        return removal.prune_containers(self, labels)

    def disk_usage(self) -> tuple[int, int, int, int]:
        """`system df`: containers, running ones, bytes of writable layers, bytes of stopped ones."""
        from runtime.containers.removal import writable_layer_size

        total = active = size = reclaimable = 0
        for container in self.list(all=True):
            used = writable_layer_size(container.directory / "upper")
            total += 1
            size += used
            if container.state.status in LIVE_STATUSES:
                active += 1
            else:
                reclaimable += used
        return total, active, size, reclaimable

    def rename(self, key: str, new_name: str) -> Container:
        """Give a container another name."""
        return events.rename_container(self, key, new_name)

    def restore(self) -> builtins.list[str]:
        """Start what should run after a reboot (restart always/unless-stopped); their ids."""
        return events.restore_containers(self)

    def finish_exit(self, container_id: str) -> None:
        """After the process ended for good: clean up and honour `--rm` (the exit command)."""
        removal.finish_exit(self, container_id)

    # -- waiting and events ----------------------------------------------------------------

    def wait(
        self, key: str, condition: WaitCondition = "not-running", timeout: float | None = None
    ) -> int:
        """Block until the condition holds; return the exit code. TimeoutError on `timeout`."""
        return events.wait_condition(self, key, condition, timeout)

    def wait_for(
        self,
        key: str,
        predicate: Callable[[Container | None], bool],
        timeout: float | None = None,
    ) -> Container | None:
        """Block until `predicate(container)` is true (None: removed); woken by state changes,
        not by polling. Returns the container (or None); TimeoutError on `timeout`."""
        return events.wait_for(self, key, predicate, timeout)

    def events(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        follow: bool = False,
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[Event]:
        """Events in order (create, start, die, stop, kill, pause, unpause, restart, destroy,
        health_status: healthy|unhealthy, oom, exec_create, exec_start, exec_die, commit, rename);
        `follow` keeps waiting for new ones. Filters: container, name, label, event, image."""
        return events.follow_events(self, since, until, follow, filters or {})

    # -- I/O -------------------------------------------------------------------------------

    def attach(
        self,
        key: str,
        *,
        stdin: bool = False,
        tty: bool | None = None,
        detach_keys: str = "ctrl-p,ctrl-q",
        proxy_signals: bool = True,
    ) -> int | None:
        """Relay this process's stdin/stdout/stderr to the container until it exits; return its
        exit code (None when detached with the detach keys)."""
        from runtime.containers.attachment import attach_container

        return attach_container(self, key, stdin, tty, detach_keys, proxy_signals)

    def logs(
        self,
        key: str,
        *,
        follow: bool = False,
        tail: int | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> Iterator[LogEntry]:
        """The json-file log, oldest first, across rotated files; `follow` until it stops."""
        from runtime.containers.logs import read_logs

        return read_logs(self, key, follow=follow, tail=tail, since=since, until=until)

    def exec(
        self, key: str, options: ExecOptions, *, stdio: tuple[int, int, int] | None = None
    ) -> int:
        """Run a command in the running container; return its exit code.

        The process joins the container's namespaces and cgroup, with its
        capabilities, seccomp filter, user, environment and working directory
        (overridden by `options`). With `tty` it gets a pty relayed to this
        process's terminal; otherwise `stdio` (default: this process's, with
        stdin only if `interactive`). `detach` returns 0 at once.
        """
        from runtime.containers.execution import exec_in

        return exec_in(self, key, options, stdio)

    def exec_output(
        self, key: str, args: Sequence[str], *, user: str | None = None
    ) -> tuple[int, bytes, bytes]:
        """Run a command and capture it: (exit code, stdout, stderr)."""
        from runtime.containers.execution import exec_capture

        return exec_capture(self, key, list(args), user)

    def top(
        self, key: str, ps_args: Sequence[str] = ()
    ) -> tuple[builtins.list[str], builtins.list[builtins.list[str]]]:
        """The container's processes as the host sees them (`ps -ef` columns): titles, rows."""
        from runtime.containers.inspection import top_container

        return top_container(self, key, list(ps_args))

    def port(self, key: str) -> builtins.list[PublishedPort]:
        """The container's published ports."""
        return self.published_ports(self.get(key).id)

    def published_ports(self, container_id: str | None = None) -> builtins.list[PublishedPort]:
        """Published ports of one container or of all, read from the store alone."""
        from runtime.network.records import NetworkRecords

        return NetworkRecords(self.store.db).published_ports(container_id)

    def copy_from(
        self, key: str, path: str, destination: Path | IO[bytes], *, follow_link: bool = False
    ) -> None:
        """Copy `path` out of the container to a host path, or as a tar stream to a file object."""
        from runtime.containers.copying import copy_from_container

        copy_from_container(self, key, path, destination, follow_link)

    def copy_to(self, key: str, source: Path | IO[bytes], path: str) -> None:
        """Copy a host path (or a tar stream) into the container at `path`."""
        from runtime.containers.copying import copy_to_container

        copy_to_container(self, key, source, path)

    def commit(
        self,
        key: str,
        *,
        reference: str | None = None,
        changes: Sequence[str] = (),
        message: str | None = None,
        author: str | None = None,
        pause: bool = True,
    ) -> Image:
        """A new image: the container's image plus its writable layer (without init-layer files
        and volume contents), `changes` (Dockerfile CMD, ENV, ...) applied to the config."""
        from runtime.containers.commit import commit_container

        return commit_container(
            self,
            key,
            reference=reference,
            changes=changes,
            message=message,
            author=author,
            pause=pause,
        )
