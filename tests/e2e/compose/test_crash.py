"""Crash safety: `up` of a 10-service app killed with SIGKILL; the next `up` converges
(everything running, healthy where it has a healthcheck) and `down -v` leaves nothing.

`-m slow` runs thirty trials killed at a random moment (engine calls half-way
included: a create or remove killed half-way is finished by the next command).
The normal suite runs a handful killed right after a step of the plan finished
(`up --parallel 1`); test_crash_points.py kills at the engine's own step boundaries.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from tests.support.compose_apps import IDLE, ComposeApp
from tests.support.residue import assert_no_residue
from tests.support.stress_report import record

HEALTHY = """
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      start_interval: 1s"""
APP = f"""
services:
  db:
    image: busybox
    command: {IDLE}{HEALTHY}
    volumes: [data:/data]
  cache:
    image: busybox
    command: {IDLE}
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated > /data/done"]
    volumes: [data:/data]
    depends_on:
      db: {{condition: service_healthy}}
  api:
    image: busybox
    command: {IDLE}{HEALTHY}
    depends_on:
      migrate: {{condition: service_completed_successfully}}
      cache: {{condition: service_started}}
  worker:
    image: busybox
    command: {IDLE}
    depends_on: [api]
    deploy: {{replicas: 2}}
  web:
    image: busybox
    command: {IDLE}
    ports: ["8080:80"]
    depends_on:
      api: {{condition: service_healthy}}
  sidecar:
    image: busybox
    command: {IDLE}
    network_mode: "service:web"
  metrics:
    image: busybox
    command: {IDLE}
    networks: [back]
  proxy:
    image: busybox
    command: {IDLE}
    networks: [default, back]
    depends_on: [web]
volumes:
  data: {{}}
networks:
  back: {{}}
"""
EXPECTED = {
    "db-1": "running",
    "cache-1": "running",
    "migrate-1": "exited",
    "api-1": "running",
    "worker-1": "running",
    "worker-2": "running",
    "web-1": "running",
    "sidecar-1": "running",
    "metrics-1": "running",
    "proxy-1": "running",
}


def kill_at_random(app: ComposeApp, chance: random.Random) -> str:
    """Start `up -d` and SIGKILL it after a random delay; say when."""
    interrupted = app.popen("up", "-d")
    delay = chance.uniform(0.05, 4.0)
    time.sleep(delay)
    interrupted.kill()
    interrupted.communicate(timeout=30)
    return f"killed after {delay:.2f} s"


FINISHED = ("Created", "Started", "Running", "Completed", "Removed")


def kill_after_a_step(app: ComposeApp, chance: random.Random) -> str:
    """Start `up -d --parallel 1` and SIGKILL it as soon as a random step has finished."""
    interrupted = app.popen("up", "-d", "--parallel", "1")
    assert interrupted.stderr is not None
    wanted = chance.randrange(1, 10)
    seen = 0
    line = ""
    for line in interrupted.stderr:
        if any(f"  {word}" in line for word in FINISHED):
            seen += 1
            if seen == wanted:
                interrupted.kill()
                break
    interrupted.kill()
    interrupted.communicate(timeout=30)
    return f"killed after step {seen} ({line.strip()})"


def crash_trials(
    app: ComposeApp, trials: int, seed: int, interrupt: Callable[[ComposeApp, random.Random], str]
) -> None:
    app.write(APP)
    chance = random.Random(seed)
    for trial in range(trials):
        when = interrupt(app, chance)
        try:
            converge_and_remove(app)
        except AssertionError as exc:
            record("crashes", 1, 1, int("left behind" in str(exc)))
            raise AssertionError(f"trial {trial}, {when}: {exc}") from None
        record("crashes", 1, 0, 0)


def converge_and_remove(app: ComposeApp) -> None:
    """`up --wait` brings everything up and healthy; `down -v` leaves nothing."""
    app.run("up", "-d", "--wait", "--wait-timeout", "120")
    states = app.states()
    assert states == EXPECTED, states
    assert app.container("migrate").state.exit_code == 0
    for service in ("db", "api"):
        health = app.container(service).state.health
        assert health is not None and health.status == "healthy", service
    assert "Nothing to do" in app.run("up", "-d").stderr
    app.run("down", "-v", "-t", "2")
    assert app.engine().containers.list(all=True) == []
    assert_no_residue(app.layout)


def test_killed_up_is_finished_by_the_next_one(app: ComposeApp) -> None:
    crash_trials(app, trials=4, seed=8, interrupt=kill_after_a_step)


@pytest.mark.slow
def test_thirty_ups_killed_at_random(app: ComposeApp) -> None:
    crash_trials(app, trials=30, seed=30, interrupt=kill_at_random)
