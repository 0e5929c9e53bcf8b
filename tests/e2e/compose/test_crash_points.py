"""Crash injection: `up`, `down`, `build`, `pull` and `commit` killed with SIGKILL at a step
boundary (PYCOMPOSE_CRASH_AT); the same command again converges and nothing is left.

The normal suite kills each command at a few boundaries spread over its steps; `-m slow`
(and `make stress`) at every one. Also: a monitor killed, and the store's database
interrupted with a write transaction open.
"""

from __future__ import annotations

import pytest

from runtime.crashpoints import CRASH_AT_ENV
from tests.support import crashes
from tests.support.compose_apps import ComposeApp
from tests.support.registry import RegistryServer
from tests.support.residue import assert_no_residue

FAST_BOUNDARIES = 4
SCENARIOS = {
    "up": crashes.up_scenario,
    "down": crashes.down_scenario,
    "build": crashes.build_scenario,
    "commit": crashes.commit_scenario,
}


def pushed(app: ComposeApp, registry: RegistryServer) -> str:
    image = f"{registry.host}/crash/busybox:1"
    app.run("image", "tag", "busybox:latest", image)
    app.run("image", "push", image)
    app.run("image", "rm", image)
    return image


def run_scenario(app: ComposeApp, scenario: crashes.Scenario, every: bool) -> None:
    steps = scenario.boundaries(app)
    assert len(steps) >= 3, steps
    chosen = range(1, len(steps) + 1) if every else crashes.pick(len(steps), FAST_BOUNDARIES)
    problems = crashes.crash_trials(app, scenario, list(chosen))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_killed_at_a_boundary_then_run_again(app: ComposeApp, name: str) -> None:
    run_scenario(app, SCENARIOS[name](), every=False)


def test_pull_killed_at_a_boundary(app: ComposeApp, registry: RegistryServer) -> None:
    run_scenario(app, crashes.pull_scenario(pushed(app, registry)), every=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_killed_at_every_boundary(app: ComposeApp, name: str) -> None:
    run_scenario(app, SCENARIOS[name](), every=True)


@pytest.mark.slow
def test_pull_killed_at_every_boundary(app: ComposeApp, registry: RegistryServer) -> None:
    run_scenario(app, crashes.pull_scenario(pushed(app, registry)), every=True)


def test_store_interrupted_with_a_write_open(app: ComposeApp) -> None:
    """Killed inside the transaction that inserts a container's row: the write is rolled
    back (the row never existed), the database is not left locked, the next `up` converges."""
    scenario = crashes.up_scenario()
    steps = scenario.boundaries(app)
    inside = [n for n, text in enumerate(steps, 1) if "transaction open" in text]
    assert inside, steps
    problems = crashes.crash_trials(app, scenario, inside[:2])
    assert not problems, "\n".join(problems)


def test_killed_monitor_then_up_and_down(app: ComposeApp) -> None:
    """A container's monitor SIGKILLed: `up` still converges, `down` leaves nothing."""
    import os
    import signal

    app.write(crashes.COMMIT_APP)
    app.run("up", "-d")
    monitor = app.container("web").state.monitor_pid
    assert monitor > 0
    os.kill(monitor, signal.SIGKILL)
    app.run("up", "-d")
    assert app.states() == {"web-1": "running"}
    assert app.run("exec", "-T", "web", "echo", "alive").stdout == "alive\n"
    app.run("down", "-v", "-t", "1")
    assert_no_residue(app.layout)


def test_crash_switch_is_off_by_default(app: ComposeApp) -> None:
    app.write(crashes.COMMIT_APP)
    result = app.run("up", "-d", **{CRASH_AT_ENV: "0"})
    assert "crashpoint" not in result.stderr
    app.run("down", "-t", "1")
