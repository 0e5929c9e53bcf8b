"""Concurrency and soak: projects up and down at once and many times, exec storms; the
long-lived processes keep their memory and descriptors flat, and nothing is left behind.

The normal suite runs a few rounds of each; `-m slow` (and `make stress`) runs the full
counts (4 projects x 50 rounds, 300 rounds of one project, 200 execs), which
PYCOMPOSE_SOAK_ROUNDS, PYCOMPOSE_SOAK_SINGLE and PYCOMPOSE_SOAK_EXECS override.
"""

from __future__ import annotations

import os

import pytest

from tests.support import soak
from tests.support.compose_apps import ComposeApp
from tests.support.stress_report import record


def _count(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def check(report: soak.SoakReport, anchor: ComposeApp) -> None:
    left = soak.stop_anchor(anchor)
    growth = report.growth()
    problems = len(report.failures) + len(growth)
    record("cycles", report.cycles, problems, len(report.residue) + len(left))
    assert not report.failures, "\n".join(report.failures[:20])
    assert not growth, growth
    assert not report.residue, report.residue
    assert not left, left


def test_projects_up_and_down_at_once(app: ComposeApp) -> None:
    check(soak.up_down_cycles(app, projects=4, cycles=2), app)


def test_exec_storm(app: ComposeApp) -> None:
    check(soak.exec_storm(app, execs=20, parallel=10), app)


@pytest.mark.slow
def test_four_projects_fifty_rounds(app: ComposeApp) -> None:
    rounds = _count("PYCOMPOSE_SOAK_ROUNDS", 50)
    check(soak.up_down_cycles(app, projects=4, cycles=rounds), app)


@pytest.mark.slow
def test_one_project_three_hundred_rounds(app: ComposeApp) -> None:
    rounds = _count("PYCOMPOSE_SOAK_SINGLE", 300)
    check(soak.up_down_cycles(app, projects=1, cycles=rounds), app)


@pytest.mark.slow
def test_two_hundred_concurrent_execs(app: ComposeApp) -> None:
    execs = _count("PYCOMPOSE_SOAK_EXECS", 200)
    check(soak.exec_storm(app, execs=execs, parallel=execs), app)
