"""`python -m tests.stress`: hostile inputs, escape attempts, crash injection and soak cycles
at full size (the `slow` variants), then one table of what was tried and what failed or
was left behind.

    python -m tests.stress                       # everything
    python -m tests.stress crashes cycles        # some groups
    PYCOMPOSE_SOAK_SINGLE=50 python -m tests.stress cycles   # smaller soak counts

Each group is a pytest run (as root, in the harness's private namespaces) with
PYCOMPOSE_SLOW=1. Inputs and escapes are counted from the test cases (one case per
hostile input; the escape probe's attempts each count); crashes and cycles from what
the tests record (tests.support.stress_report). Residue is what the residue check
found (`runtime.residue`, the logic of `pycompose system check`). Exit status 1 when
any count of failures or residue is not zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.support.stress_report import REPORT_ENV

TESTS = Path(__file__).resolve().parent.parent
GROUPS: dict[str, tuple[str, list[str]]] = {
    "inputs": (
        "inputs tried",
        [
            "tests/unit/hostile",
            "tests/integration/hostile/test_layer_tars.py",
            "tests/integration/hostile/test_registry_misbehaviour.py",
        ],
    ),
    "escapes": ("escapes tried", ["tests/integration/hostile/test_escapes.py"]),
    "crashes": (
        "crashes injected",
        ["tests/e2e/compose/test_crash_points.py", "tests/e2e/compose/test_crash.py"],
    ),
    "cycles": ("cycles run", ["tests/e2e/compose/test_soak.py"]),
}
RESIDUE_MARK = "left behind"


@dataclass
class Row:
    label: str
    tried: int = 0
    failures: int = 0
    residue: int = 0
    seconds: float = 0.0


def _cases(junit: Path) -> tuple[int, int, int]:
    """(cases run, cases failed, failed cases whose message names residue) of a JUnit file."""
    if not junit.exists():
        return 0, 1, 0
    run = failed = residue = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        run += 1
        bad = [*case.findall("failure"), *case.findall("error")]
        if bad:
            failed += 1
            text = " ".join((b.get("message") or "") + (b.text or "") for b in bad)
            residue += RESIDUE_MARK in text
    return run, failed, residue


def _escape_attempts() -> int:
    """The probe runs many attempts in one test case: each counts."""
    from tests.integration.hostile.test_escapes import ATTEMPTS

    return len(ATTEMPTS)


def run_group(name: str, scratch: Path) -> Row:
    label, paths = GROUPS[name]
    junit = scratch / f"{name}.xml"
    report = scratch / f"{name}.jsonl"
    env = {**os.environ, "PYCOMPOSE_SLOW": "1", REPORT_ENV: str(report)}
    started = time.monotonic()
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run(
        [*pytest, f"--junitxml={junit}", *paths],
        cwd=TESTS.parent,
        env=env,
        check=False,
    )
    row = Row(label, seconds=time.monotonic() - started)
    run, failed, residue = _cases(junit)
    if name in ("inputs", "escapes"):
        row.tried = run + (_escape_attempts() - 1 if name == "escapes" and run else 0)
        row.failures, row.residue = failed, residue
        return row
    lines = report.read_text().splitlines() if report.exists() else []
    for line in lines:
        entry = json.loads(line)
        row.tried += entry["tried"]
        row.failures += entry["failures"]
        row.residue += entry["residue"]
    # A test that failed before it could record still counts.
    row.failures = max(row.failures, failed)
    row.residue = max(row.residue, residue)
    return row


def table(rows: list[Row]) -> str:
    lines = [f"{'':<18}{'tried':>8}{'failures':>10}{'residue':>9}{'minutes':>9}"]
    for row in rows:
        lines.append(
            f"{row.label:<18}{row.tried:>8}{row.failures:>10}{row.residue:>9}"
            f"{row.seconds / 60:>9.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    chosen = argv or list(GROUPS)
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        print(f"unknown group {unknown[0]}; choose from {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pycompose-stress-") as scratch:
        rows = [run_group(name, Path(scratch)) for name in chosen]
    print()
    print(table(rows))
    return 1 if any(row.failures or row.residue or not row.tried for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
