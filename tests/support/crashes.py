"""Crash injection through `pycompose`: list a command's step boundaries, kill it at one with
SIGKILL (PYCOMPOSE_CRASH_AT), run it again, and check it converged and left no residue.

    scenario = SCENARIOS["up"]
    boundaries = scenario.boundaries(app)             # the crashpoints `up` passes
    failures = crash_trials(app, scenario, [1, 5, 9])  # [] when every trial converged

A scenario brings the app to the state before the command (`prepare`), runs the
command, checks the state after it (`check`) and puts the app back to where it
started (`reset`). Each trial: prepare, command killed at boundary N, the same
command again, check, residue check, reset, residue check.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from runtime.crashpoints import CRASH_AT_ENV, CRASH_STEPS_ENV
from tests.support.compose_apps import IDLE, ComposeApp
from tests.support.residue import residue
from tests.support.stress_report import record

KILLED = -9
STEP_RE = re.compile(r"^crashpoint (\d+): (.*)$", re.MULTILINE)

APP = f"""
services:
  web:
    image: busybox
    command: {IDLE}
    ports: ["8080:80"]
    volumes: [data:/data]
  db:
    image: busybox
    command: {IDLE}
    networks: [default, back]
volumes:
  data: {{}}
networks:
  back: {{}}
"""
BUILD_APP = f"""
services:
  web:
    build: ./web
    image: crash-web
    command: {IDLE}
"""
DOCKERFILE = "FROM busybox\nRUN echo built > /built\nCOPY message /message\n"
COMMIT_APP = f"""
services:
  web:
    image: busybox
    command: {IDLE}
"""


@dataclass(frozen=True)
class Scenario:
    """One command to kill at its boundaries, and the states around it."""

    name: str
    command: tuple[str, ...]
    prepare: Callable[[ComposeApp], None]
    check: Callable[[ComposeApp], None]
    reset: Callable[[ComposeApp], None]
    env: dict[str, str] = field(default_factory=dict)

    def run(self, app: ComposeApp, **env: str) -> subprocess.CompletedProcess[str]:
        return app.run(*self.command, check=False, **self.env, **env)

    def boundaries(self, app: ComposeApp) -> list[str]:
        """The step boundaries the command passes, in order (the command runs once)."""
        self.prepare(app)
        result = self.run(app, **{CRASH_STEPS_ENV: "1"})
        assert result.returncode == 0, f"{self.name}: {result.stderr}"
        self.check(app)
        self.reset(app)
        return [text for _, text in STEP_RE.findall(result.stderr)]


def _states(app: ComposeApp) -> dict[str, str]:
    return app.states()


def _up_check(app: ComposeApp) -> None:
    assert _states(app) == {"web-1": "running", "db-1": "running"}
    assert app.engine().volumes.exists(f"{app.directory.name}_data")


def _down(app: ComposeApp) -> None:
    app.run("down", "-v", "-t", "1")


def _nothing(app: ComposeApp) -> None:
    return None


def _down_check(app: ComposeApp) -> None:
    assert app.engine().containers.list(all=True) == []
    assert app.engine().networks.all() == []


def _build_prepare(app: ComposeApp) -> None:
    app.write(BUILD_APP)
    (app.directory / "web").mkdir(exist_ok=True)
    app.write(DOCKERFILE, "web/Dockerfile")
    app.write("hello\n", "web/message")


def _build_check(app: ComposeApp) -> None:
    assert app.engine().images.resolve("crash-web") is not None


def _commit_prepare(app: ComposeApp) -> None:
    app.write(COMMIT_APP)
    if _states(app) != {"web-1": "running"}:
        app.run("up", "-d")
    app.run("exec", "-T", "web", "sh", "-c", "echo changed > /changed")


def _commit_check(app: ComposeApp) -> None:
    assert app.engine().images.resolve("crash-snap:1") is not None
    # Not left frozen by a commit killed while the container was paused for it.
    assert app.run("exec", "-T", "web", "cat", "/changed").stdout == "changed\n"


def _commit_reset(app: ComposeApp) -> None:
    app.run("image", "rm", "crash-snap:1", check=False)


def up_scenario() -> Scenario:
    return Scenario(
        "up",
        ("up", "-d", "--parallel", "1"),
        prepare=lambda app: app.write(APP) and None,
        check=_up_check,
        reset=_down,
    )


def down_scenario() -> Scenario:
    def prepare(app: ComposeApp) -> None:
        app.write(APP)
        app.run("up", "-d")

    return Scenario("down", ("down", "-v", "-t", "1"), prepare, _down_check, _nothing)


def _build_reset(app: ComposeApp) -> None:
    app.run("image", "rm", "crash-web", check=False)
    # The engine's default network, which RUN steps join, is made by the first build.
    app.run("network", "rm", "bridge", check=False)


def build_scenario() -> Scenario:
    return Scenario("build", ("build", "--no-cache"), _build_prepare, _build_check, _build_reset)


def commit_scenario() -> Scenario:
    return Scenario(
        "commit", ("commit", "web", "crash-snap:1"), _commit_prepare, _commit_check, _commit_reset
    )


def pull_scenario(image: str) -> Scenario:
    """`pull` of `image` (already pushed to a registry the test runs)."""

    def prepare(app: ComposeApp) -> None:
        app.write(f"services:\n  web:\n    image: {image}\n    command: {IDLE}\n")

    def check(app: ComposeApp) -> None:
        assert app.engine().images.resolve(image) is not None

    def reset(app: ComposeApp) -> None:
        app.run("image", "rm", image, check=False)
        app.run("image", "prune", "-a", "-f", check=False)

    return Scenario("pull", ("pull",), prepare, check, reset)


def pick(count: int, wanted: int) -> list[int]:
    """`wanted` boundaries (1-based) spread over `count`, first and last included."""
    if count <= wanted:
        return list(range(1, count + 1))
    step = (count - 1) / (wanted - 1)
    return sorted({1 + round(i * step) for i in range(wanted)})


def crash_trial(app: ComposeApp, scenario: Scenario, boundary: int) -> tuple[list[str], list[str]]:
    """One trial: what went wrong, and what was left behind, as sentences (none when it
    converged and left nothing)."""
    problems: list[str] = []
    where = f"{scenario.name} killed at boundary {boundary}"
    scenario.prepare(app)
    killed = scenario.run(app, **{CRASH_AT_ENV: str(boundary)})
    if killed.returncode != KILLED:
        problems.append(f"{where}: not killed (exit {killed.returncode}): {killed.stderr[-300:]}")
    again = scenario.run(app)
    if again.returncode != 0:
        problems.append(f"{where}: the next {scenario.name} failed: {again.stderr[-500:]}")
    try:
        scenario.check(app)
    except AssertionError as exc:
        problems.append(f"{where}: not converged: {exc}")
    left = [f"{where}: {line}" for line in residue(app.layout)]
    scenario.reset(app)
    left += [f"{where}, after reset: {line}" for line in residue(app.layout)]
    return problems, left


def crash_trials(app: ComposeApp, scenario: Scenario, boundaries: Sequence[int]) -> list[str]:
    """Every trial's problems and residue, in order (recorded for the stress table)."""
    found: list[str] = []
    failed = left_count = 0
    for boundary in boundaries:
        problems, left = crash_trial(app, scenario, boundary)
        failed += bool(problems)
        left_count += len(left)
        found += problems + left
    record("crashes", len(boundaries), failed, left_count)
    return found
