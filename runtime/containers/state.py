"""A container's record as the store has it, checked against the kernel.

The store says what was last recorded; /proc says whether the container's
process and its monitor are still the processes recorded (pid and start
time, so a reused pid is never mistaken for them). When the monitor is gone,
nobody records the exit any more, so the state is worked out here:

    monitor alive                         the record is current
    monitor gone, process alive           running (or paused), Error says logs,
                                          healthchecks and restarts stopped
    monitor gone, process gone            exited, exit code unknown (255), and
                                          whatever the monitor would have cleaned
                                          is still to do (cleanup_needed)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from runtime.containers.model import Container, ContainerState, Health, HealthResult
from runtime.containers.serialization import request_from_json
from runtime.oci.state import process_start_time

UNKNOWN_EXIT = 255
MONITOR_GONE = "the container's monitor is gone: logs, healthchecks and restarts have stopped"
EXIT_UNKNOWN = "the container's monitor was killed; the exit status is unknown"
LIVE_STATUSES = ("running", "paused", "restarting")


class Row(Protocol):
    """A containers row (sqlite3.Row, or a dict in tests)."""

    def __getitem__(self, key: str) -> Any: ...


def same_process(pid: int, start: int) -> bool:
    """Whether `pid` is still the process that started at `start` (clock ticks since boot)."""
    return pid > 0 and start > 0 and process_start_time(pid) == start


def monitor_alive(row: Row) -> bool:
    """Whether the monitor recorded for this row still runs."""
    return same_process(int(row["monitor_pid"]), int(row["monitor_start"]))


def process_alive(row: Row) -> bool:
    """Whether the container's recorded main process still runs."""
    return same_process(int(row["pid"]), int(row["pid_start"]))


def cleanup_needed(row: Row) -> bool:
    """Whether what a stopped container leaves (mounts, veths, runtime state) is still there."""
    if row["cleanup_pending"]:
        return True
    return row["status"] in LIVE_STATUSES and not monitor_alive(row) and not process_alive(row)


def _health(row: Row) -> Health | None:
    status = str(row["health_status"])
    if not status:
        return None
    entries = json.loads(str(row["health_log"]) or "[]")
    return Health(
        status=status,
        failing_streak=int(row["health_failing"]),
        log=tuple(
            HealthResult(e["Start"], e["End"], int(e["ExitCode"]), e["Output"]) for e in entries
        ),
    )


def observed_state(row: Row) -> ContainerState:
    """The State of a row, corrected by what /proc says."""
    status = str(row["status"])
    pid = int(row["pid"])
    exit_code = int(row["exit_code"])
    error = str(row["error"])
    finished = str(row["finished_at"])
    monitor_pid = int(row["monitor_pid"])
    if status in LIVE_STATUSES and not monitor_alive(row):
        monitor_pid = 0
        if process_alive(row):
            error = error or MONITOR_GONE
            if status == "restarting":
                status = "running"
        else:
            status, pid, exit_code, error = "exited", 0, UNKNOWN_EXIT, EXIT_UNKNOWN
    elif status not in LIVE_STATUSES:
        pid = 0
    return ContainerState(
        status=status,
        pid=pid if status in ("running", "paused") else 0,
        exit_code=exit_code,
        oom_killed=bool(row["oom_killed"]),
        error=error,
        started_at=str(row["started_at"]),
        finished_at=finished,
        restart_count=int(row["restart_count"]),
        health=_health(row),
        monitor_pid=monitor_pid,
    )


def container_from_row(
    row: sqlite3.Row, labels: Mapping[str, str], containers_root: Path
) -> Container:
    """A Container from its row and labels."""
    return Container(
        id=row["id"],
        name=row["name"],
        image=row["image"],
        image_id=row["image_id"],
        created=row["created"],
        labels=dict(labels),
        request=request_from_json(json.loads(row["request"])),
        state=observed_state(row),
        runtime=row["runtime"],
        directory=containers_root / row["id"],
        sandbox=row["sandbox"],
        resolved=json.loads(row["resolved"]),
    )
