"""The manager's API as the orchestrator uses it: waiting, events, recreating a namespace owner,
restoring after a reboot."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.containers import ContainerRequest, ContainerSpec, Healthcheck, NamespaceMode
from runtime.containers.model import RestartPolicy
from runtime.engine import Engine
from runtime.oci.state import process_start_time
from runtime.store import Store
from tests.support.containers import ContainerCLI


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    cli = ContainerCLI(tmp_path_factory.mktemp("manager"))
    made = Engine(Store(cli.layout))
    try:
        yield made
    finally:
        cli.remove_all()
    assert cli.residue() == []


def request(name: str, *command: str, **changes: object) -> ContainerRequest:
    spec_changes = {k: changes.pop(k) for k in list(changes) if k in ("network", "labels")}
    return ContainerRequest(
        ContainerSpec(name=name, command=command, **spec_changes),  # type: ignore[arg-type]
        "busybox",
        **changes,  # type: ignore[arg-type]
    )


def test_wait_events_and_wait_for(engine: Engine) -> None:
    containers = engine.containers
    since = time.time()
    first = containers.create(
        request("waits", "sh", "-c", "sleep 0.3; exit 3", labels={"app": "t"})
    )
    containers.start(first.id)
    assert containers.wait(first.id) == 3
    actions = [
        (e.action, e.attributes.get("exitCode"), e.attributes.get("app"))
        for e in containers.events(since=since, filters={"container": ["waits"]})
    ]
    assert actions == [("create", None, "t"), ("start", None, "t"), ("die", "3", "t")]
    with pytest.raises(TimeoutError):
        containers.wait_for(first.id, lambda c: c is None, timeout=0.3)
    follower = containers.events(follow=True, until=time.time() + 5, filters={"event": ["destroy"]})
    containers.remove(first.id)
    destroyed = next(follower)
    assert (destroyed.action, destroyed.name) == ("destroy", "waits")
    assert containers.find(first.id) is None


def test_wait_for_health(engine: Engine) -> None:
    containers = engine.containers
    probe = Healthcheck(("CMD", "test", "-e", "/tmp/ready"), interval=0.1, retries=1)
    made = containers.create(
        request("healthy", "sh", "-c", "sleep 0.5; touch /tmp/ready; sleep 100", healthcheck=probe)
    )
    containers.start(made.id)
    started = time.monotonic()
    found = containers.wait_for(
        made.id,
        lambda c: (
            c is not None and c.state.health is not None and c.state.health.status == "healthy"
        ),
        timeout=20,
    )
    assert found is not None and time.monotonic() - started < 10
    containers.remove(made.id, force=True)


def _address(pid: int) -> str:
    return Path(f"/proc/{pid}/net/fib_trie").read_text()


def test_recreating_a_namespace_owner_keeps_its_dependents_network(engine: Engine) -> None:
    containers = engine.containers
    owner = containers.create(request("owner", "sleep", "1000"))
    containers.start(owner.id)
    joiner = containers.create(
        request("joiner", "sleep", "1000", network=NamespaceMode("container", "owner"))
    )
    joiner = containers.start(joiner.id)
    address = containers.inspect("owner")["NetworkSettings"]["IPAddress"]
    assert address in _address(joiner.state.pid)
    sandbox = containers.get("owner").sandbox
    assert sandbox.endswith(owner.id)
    containers.remove(owner.id, force=True, keep_sandbox=True)
    successor = containers.create(request("owner", "sleep", "1000", sandbox=sandbox))
    containers.start(successor.id)
    assert containers.inspect("owner")["NetworkSettings"]["IPAddress"] == address
    assert containers.get("joiner").state.status == "running"
    assert address in _address(joiner.state.pid)
    containers.remove("joiner", force=True)
    containers.remove("owner", force=True)


def test_restore_starts_what_should_run(engine: Engine) -> None:
    containers = engine.containers
    kept = containers.create(request("kept", "sleep", "1000", restart=RestartPolicy("always")))
    dropped = containers.create(request("dropped", "sleep", "1000"))
    for made in (kept, dropped):
        containers.start(made.id)
    for made in (kept, dropped):  # a power cut: every process gone at once
        state = containers.get(made.id).state
        os.kill(state.monitor_pid, signal.SIGKILL)
        os.kill(state.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        process_start_time(containers.get(m.id).state.pid or 1) for m in (kept, dropped)
    ):
        time.sleep(0.05)
    assert containers.restore() == [kept.id]
    assert containers.get("kept").state.status == "running"
    assert containers.get("dropped").state.status == "exited"
    containers.remove("kept", force=True)
    containers.remove("dropped")
