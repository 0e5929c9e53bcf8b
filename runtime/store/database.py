"""The metadata database: SQLite in WAL mode, one connection per thread, versioned schemas.

Each engine component (images, containers, networks, volumes, build cache) owns
its tables and declares them as an ordered list of migrations under its own
component name; `Database.migrate` applies the missing ones in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runtime.errors import StoreError

BUSY_TIMEOUT_MS = 30_000


class Database:
    """A SQLite database shared safely by threads (a connection each) and processes (WAL)."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._migrated: set[str] = set()
        self._migrate_lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=True,
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the store database {self.path}: {exc}") from exc
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _enable_wal(conn, self.path)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): all or nothing, serialised across processes."""
        conn = self.connection()
        if conn.in_transaction:
            # Nested use joins the outer transaction.
            yield conn
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot start a transaction on {self.path}: {exc}") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        return self.connection().execute(sql, params).fetchall()

    def query_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        """Run a read query and return its first row, or None."""
        return self.connection().execute(sql, params).fetchone()

    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        """Bring `component`'s tables up to date: apply migrations[v:] where v is stored.

        Each migration is a SQL script; all pending ones run in one transaction.
        """
        if component in self._migrated:
            return
        with self._migrate_lock:
            if component in self._migrated:
                return
            conn = self.connection()
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions ("
                " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            with self.transaction():
                row = conn.execute(
                    "SELECT version FROM schema_versions WHERE component = ?", (component,)
                ).fetchone()
                current = row["version"] if row else 0
                if current > len(migrations):
                    raise StoreError(
                        f"the store at {self.path} was written by a newer pycompose "
                        f"({component} schema {current} > {len(migrations)})"
                    )
                for script in migrations[current:]:
                    for statement in _split_statements(script):
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_versions(component, version) VALUES (?, ?)"
                    " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                    (component, len(migrations)),
                )
            self._migrated.add(component)


def _enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the database to WAL once; concurrent first openers wait instead of failing.

    The switch needs an exclusive lock that SQLite's busy timeout does not wait
    for, so it is retried here; once made, it persists in the file.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise StoreError(f"cannot open the store database {path}: {exc}") from exc
            time.sleep(0.01)


def _split_statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement boundaries)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
