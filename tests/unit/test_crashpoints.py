"""Crash points: listed with PYCOMPOSE_CRASH_STEPS=1, SIGKILL at PYCOMPOSE_CRASH_AT=N, else off."""

from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = (
    "from runtime.crashpoints import crashpoint\n"
    "for step in ('first', 'second', 'third'):\n"
    "    crashpoint(step)\n"
    "print('finished')\n"
)


def run(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYCOMPOSE_CRASH")}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM], env={**clean, **env}, capture_output=True, text=True
    )


def test_off_unless_asked() -> None:
    result = run()
    assert result.returncode == 0 and result.stdout == "finished\n" and result.stderr == ""


def test_steps_are_listed_in_order() -> None:
    result = run(PYCOMPOSE_CRASH_STEPS="1")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "crashpoint 1: first",
        "crashpoint 2: second",
        "crashpoint 3: third",
    ]


def test_killed_at_the_chosen_boundary() -> None:
    result = run(PYCOMPOSE_CRASH_AT="2", PYCOMPOSE_CRASH_STEPS="1")
    assert result.returncode == -9
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["crashpoint 1: first", "crashpoint 2: second"]


def test_a_boundary_past_the_last_is_never_reached() -> None:
    assert run(PYCOMPOSE_CRASH_AT="4").returncode == 0
