"""Waiting for containers and following their events, woken by the kernel rather than a timer.

Every committed change rings the events bell (records.ring); waiters watch
it with inotify, and also hold pidfds on the container's process and its
monitor, so a death nobody records (a killed monitor) wakes them too. A
re-check every SAFETY_NET seconds guards against a missed wake-up; nothing
spins.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from runtime.containers import state
from runtime.containers.errors import ContainerError
from runtime.containers.model import Container, Event
from runtime.containers.names import check_name
from runtime.linux import inotify

if TYPE_CHECKING:
    from runtime.containers.manager import Containers

SAFETY_NET = 30.0
CONDITIONS = ("not-running", "next-exit", "removed")


def _pidfds(container: Container | None) -> list[int]:
    fds: list[int] = []
    if container is None:
        return fds
    for pid in (container.state.pid, container.state.monitor_pid):
        if pid > 0:
            try:
                fds.append(os.pidfd_open(pid))
            except OSError:
                pass
    return fds


def wait_for(
    manager: Containers,
    key: str,
    predicate: Callable[[Container | None], bool],
    timeout: float | None,
) -> Container | None:
    """Block until `predicate(container)` holds (None once removed); TimeoutError past `timeout`."""
    container_id = manager.registry.row(key)["id"]
    deadline = None if timeout is None else time.monotonic() + timeout
    with inotify.Watch() as watch:
        watch.add(manager.registry.bell, inotify.ATTRIB | inotify.MODIFY)
        while True:
            container = manager.find(container_id)
            if predicate(container):
                return container
            remaining = SAFETY_NET if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"container {container_id[:12]}: timed out waiting")
            pidfds = _pidfds(container)
            try:
                select.select([watch.fd, *pidfds], [], [], min(remaining, SAFETY_NET))
            finally:
                for fd in pidfds:
                    os.close(fd)
            watch.drain()


def wait_condition(manager: Containers, key: str, condition: str, timeout: float | None) -> int:
    """`docker wait --condition`: the exit code once the container is stopped or removed."""
    if condition not in CONDITIONS:
        raise ContainerError(f"invalid condition {condition!r}: use {', '.join(CONDITIONS)}")
    first = manager.get(key)
    seen_running = first.state.status in state.LIVE_STATUSES
    last: list[Container] = [first]

    def done(container: Container | None) -> bool:
        nonlocal seen_running
        if container is None:
            return True
        last[0] = container
        live = container.state.status in state.LIVE_STATUSES
        seen_running = seen_running or live
        if condition == "removed":
            return False
        if condition == "next-exit":
            return seen_running and not live
        return not live

    wait_for(manager, first.id, done, timeout)
    return last[0].state.exit_code


def _matches(event: Event, filters: Mapping[str, Sequence[str]], labels: Mapping[str, str]) -> bool:
    for key, wanted in filters.items():
        if not wanted:
            continue
        if key == "container":
            if not any(
                event.container_id.startswith(w) or event.name == w.lstrip("/") for w in wanted
            ):
                return False
        elif key == "name":
            if event.name not in [w.lstrip("/") for w in wanted]:
                return False
        elif key == "event":
            if not any(event.action == w or event.action.startswith(w + ":") for w in wanted):
                return False
        elif key == "image":
            if event.image not in wanted:
                return False
        elif key == "label":
            for item in wanted:
                name, sep, value = item.partition("=")
                if name not in labels or (sep and labels[name] != value):
                    return False
        elif key == "type":
            if "container" not in wanted:
                return False
        else:
            raise ContainerError(f"invalid filter {key!r}")
    return True


def follow_events(
    manager: Containers,
    since: float | None,
    until: float | None,
    follow: bool,
    filters: Mapping[str, Sequence[str]],
) -> Iterator[Event]:
    """Events in order from `since` (or, when following, from the call) until `until`."""
    registry = manager.registry
    if since is not None:
        seq = registry.first_event_since(int(since * 1e9))
    elif follow:
        seq = registry.first_event_since(time.time_ns() + 1)
    else:
        seq = 0
    # The position is taken now, not at the first next(): nothing after the call is missed.
    return _events_after(manager, seq, since, until, follow, filters)


def _events_after(
    manager: Containers,
    seq: int,
    since: float | None,
    until: float | None,
    follow: bool,
    filters: Mapping[str, Sequence[str]],
) -> Iterator[Event]:
    registry = manager.registry
    with inotify.Watch() as watch:
        watch.add(registry.bell, inotify.ATTRIB | inotify.MODIFY)
        while True:
            batch = registry.events_after(seq)
            for event in batch:
                seq = event.seq
                if until is not None and event.time_nano > until * 1e9:
                    return
                if since is not None and event.time_nano < since * 1e9:
                    continue
                if _matches(event, filters, event.attributes):
                    yield event
            if batch:
                continue
            if not follow:
                return
            remaining = SAFETY_NET if until is None else until - time.time()
            if remaining <= 0:
                return
            watch.wait(min(remaining, SAFETY_NET))


def rename_container(manager: Containers, key: str, new_name: str) -> Container:
    """Give a container another name (its endpoints answer to it from the next start)."""
    container = manager.get(key)
    name = check_name(new_name)
    with manager.store.lock("containers"):
        clash = manager.find(name)
        if clash is not None and clash.id != container.id:
            raise ContainerError(f'Conflict. The container name "/{name}" is already in use')
        manager.registry.update(
            container.id, {"name": name}, [("rename", {"oldName": "/" + container.name})]
        )
    return manager.get(container.id)


def restore_containers(manager: Containers) -> list[str]:
    """After a reboot: start what Docker's daemon would (always; unless-stopped not stopped)."""
    started = []
    manager.networks.sync()
    for container in reversed(manager.list(all=True)):
        policy = container.request.restart.name
        row = manager.registry.row(container.id)
        wanted = policy == "always" or (policy == "unless-stopped" and not row["stop_requested"])
        was_running = container.state.status in state.LIVE_STATUSES or row["cleanup_pending"]
        if wanted and (was_running or policy == "always") and not state.process_alive(row):
            manager.start(container.id)
            started.append(container.id)
    return started
