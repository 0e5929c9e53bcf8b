"""Crash points: numbered step boundaries at which a test can SIGKILL the running command.

    crashpoint("container created")     # in the engine, between two steps

Off unless asked, and then only through the environment:

- `PYCOMPOSE_CRASH_STEPS=1`: every boundary passed prints `crashpoint N: <step>`
  on stderr (the list of steps a command goes through, to choose from);
- `PYCOMPOSE_CRASH_AT=N`: the process kills itself with SIGKILL on reaching
  boundary N, as a power loss or `kill -9` would, with no clean-up of any kind.

Boundaries are counted per process, in the order they are reached; a command
run with `--parallel 1` reaches them in the same order every time.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

CRASH_AT_ENV = "PYCOMPOSE_CRASH_AT"
CRASH_STEPS_ENV = "PYCOMPOSE_CRASH_STEPS"

_lock = threading.Lock()
_count = 0


def _target() -> int:
    try:
        return int(os.environ.get(CRASH_AT_ENV, "0"))
    except ValueError:
        return 0


def crashpoint(step: str) -> None:
    """Pass one step boundary (see the module docstring)."""
    global _count
    listing = os.environ.get(CRASH_STEPS_ENV) == "1"
    target = _target()
    if not listing and target <= 0:
        return
    with _lock:
        _count += 1
        number = _count
        if listing:
            sys.stderr.write(f"crashpoint {number}: {step}\n")
            sys.stderr.flush()
        if number == target:
            os.kill(os.getpid(), signal.SIGKILL)
