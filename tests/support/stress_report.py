"""What a stress run tried and found, gathered across pytest runs for `make stress`'s table.

Tests that inject crashes or run cycles call `record(...)`; when PYCOMPOSE_STRESS_REPORT
names a file, one JSON line per call is appended to it (otherwise nothing happens).
"""

from __future__ import annotations

import json
import os

REPORT_ENV = "PYCOMPOSE_STRESS_REPORT"


def record(group: str, tried: int, failures: int, residue: int) -> None:
    """Add `tried` runs of `group` ("crashes", "cycles") with their failure and residue counts."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    line = {"group": group, "tried": tried, "failures": failures, "residue": residue}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
