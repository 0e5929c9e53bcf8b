"""The `containers` tables: one row per container, its labels, and the events record.

Standard library only: the monitor writes state changes and events through
these functions on its own sqlite3 connection. After every committed change a
writer rings the events bell (a file whose change time moves), which waiters
watch with inotify instead of polling the database.
"""

from __future__ import annotations

import _json
import _sqlite3
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Mapping
    from typing import Any

COMPONENT = "containers"
MIGRATIONS = [
    """
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        image TEXT NOT NULL,
        image_id TEXT NOT NULL,
        created TEXT NOT NULL,
        created_nano INTEGER NOT NULL,
        runtime TEXT NOT NULL,
        request TEXT NOT NULL,
        resolved TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'created',
        pid INTEGER NOT NULL DEFAULT 0,
        pid_start INTEGER NOT NULL DEFAULT 0,
        monitor_pid INTEGER NOT NULL DEFAULT 0,
        monitor_start INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER NOT NULL DEFAULT 0,
        oom_killed INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL DEFAULT '',
        finished_at TEXT NOT NULL DEFAULT '',
        restart_count INTEGER NOT NULL DEFAULT 0,
        stop_requested INTEGER NOT NULL DEFAULT 0,
        health_status TEXT NOT NULL DEFAULT '',
        health_failing INTEGER NOT NULL DEFAULT 0,
        health_log TEXT NOT NULL DEFAULT '[]',
        cleanup_pending INTEGER NOT NULL DEFAULT 0,
        sandbox TEXT NOT NULL DEFAULT '',
        sandbox_owner TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE container_labels (
        container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (container_id, key)
    );
    CREATE INDEX container_labels_by_key ON container_labels(key, value);
    CREATE TABLE container_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        time_nano INTEGER NOT NULL,
        container_id TEXT NOT NULL,
        name TEXT NOT NULL,
        image TEXT NOT NULL,
        action TEXT NOT NULL,
        attributes TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX container_events_by_time ON container_events(time_nano);
    """
]
STATE_COLUMNS = frozenset(
    {
        "status",
        "pid",
        "pid_start",
        "monitor_pid",
        "monitor_start",
        "exit_code",
        "oom_killed",
        "error",
        "started_at",
        "finished_at",
        "restart_count",
        "stop_requested",
        "health_status",
        "health_failing",
        "health_log",
        "cleanup_pending",
        "sandbox",
        "sandbox_owner",
        "resolved",
        "name",
    }
)
EVENTS_KEPT = 10_000
BUSY_TIMEOUT = 30.0


def dumps(value: Any) -> str:
    """JSON of plain data (dicts, lists, strings, numbers, booleans, None), without `json`.

    The monitor writes JSON (events, health logs, log lines) but must not import the
    json package, whose decoder pulls in `re`; the C escaper does the strings.
    """
    if isinstance(value, str):
        return str(_json.encode_basestring(value))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def connect(database: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection for a process that does not use the engine's Database (the monitor)."""
    conn: sqlite3.Connection = _sqlite3.connect(
        database, timeout=BUSY_TIMEOUT, isolation_level=None
    )
    conn.row_factory = _sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def update(conn: sqlite3.Connection, container_id: str, fields: Mapping[str, Any]) -> None:
    """Change state columns of one container (inside the caller's transaction)."""
    unknown = set(fields) - STATE_COLUMNS
    if unknown:
        raise ValueError(f"not a container state column: {', '.join(sorted(unknown))}")
    if not fields:
        return
    assignments = ", ".join(f"{column} = ?" for column in fields)
    conn.execute(
        f"UPDATE containers SET {assignments} WHERE id = ?", (*fields.values(), container_id)
    )


def add_event(
    conn: sqlite3.Connection,
    container_id: str,
    name: str,
    image: str,
    action: str,
    attributes: Mapping[str, str] | None = None,
) -> None:
    """Append one event; the oldest are dropped past EVENTS_KEPT."""
    cursor = conn.execute(
        "INSERT INTO container_events(time_nano, container_id, name, image, action, attributes)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (time.time_ns(), container_id, name, image, action, dumps(dict(attributes or {}))),
    )
    seq = cursor.lastrowid or 0
    if seq % 500 == 0:
        conn.execute("DELETE FROM container_events WHERE seq <= ?", (seq - EVENTS_KEPT,))


def ring(bell: str | os.PathLike[str]) -> None:
    """Tell waiters that something changed (they watch the bell's attributes with inotify)."""
    try:
        os.utime(bell)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(bell), exist_ok=True)
        os.close(os.open(bell, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


def write(
    conn: sqlite3.Connection,
    bell: str | os.PathLike[str],
    container_id: str,
    fields: Mapping[str, Any],
    events: Iterable[tuple[str, Mapping[str, str]]] = (),
    *,
    name: str = "",
    image: str = "",
) -> None:
    """Change a container's state and add events in one transaction, then ring the bell."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        update(conn, container_id, fields)
        for action, attributes in events:
            add_event(conn, container_id, name, image, action, attributes)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    ring(bell)


def read(conn: sqlite3.Connection, container_id: str) -> sqlite3.Row | None:
    """One container's row."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM containers WHERE id = ?", (container_id,)
    ).fetchone()
    return row
