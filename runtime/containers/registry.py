"""The manager's access to the `containers` tables: lookups by name, id and prefix; changes.

Every change is one transaction with its events, followed by a ring of the
events bell. Locks: one per container (`container-<id>`) around the steps that
make or unmake its pieces, so two commands never mount, connect or remove the
same container at once; one for all names while a new name is taken.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from runtime.containers import records
from runtime.containers.errors import ContainerError, ContainerNotFound
from runtime.containers.model import Container, Event
from runtime.containers.names import ID_RE, check_name, generated_name
from runtime.containers.paths import events_bell
from runtime.containers.state import container_from_row
from runtime.crashpoints import crashpoint
from runtime.store import Store


class Registry:
    """Container rows of one engine root."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        self.db.migrate(records.COMPONENT, records.MIGRATIONS)
        self.bell = events_bell(store.layout)
        self.bell.parent.mkdir(parents=True, exist_ok=True)
        self.bell.touch()

    @contextmanager
    def lock(self, container_id: str) -> Iterator[None]:
        """Hold the lock of one container's pieces.

        Whoever holds it last after the container's row is gone deletes the lock
        file: a removal does, and so does a late comer (an exit command finishing
        after `rm`), which would otherwise leave a new file behind.
        """
        lock = self.store.lock(f"container-{container_id}")
        with lock:
            try:
                yield
            finally:
                row = self.db.query_one("SELECT 1 FROM containers WHERE id = ?", (container_id,))
                if row is None:
                    lock.path.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------

    def row(self, key: str) -> sqlite3.Row:
        """The row of the container named `key`, or with id or unique id prefix `key`."""
        found = self.find_row(key)
        if found is None:
            raise ContainerNotFound(f"No such container: {key}")
        return found

    def find_row(self, key: str) -> sqlite3.Row | None:
        key = key.strip()
        if not key:
            return None
        if ID_RE.match(key):
            row = self.db.query_one("SELECT * FROM containers WHERE id = ?", (key,))
            if row is not None:
                return row
        row = self.db.query_one("SELECT * FROM containers WHERE name = ?", (key.lstrip("/"),))
        if row is not None:
            return row
        if all(ch in "0123456789abcdef" for ch in key):
            rows = self.db.query(
                "SELECT * FROM containers WHERE substr(id, 1, ?) = ? LIMIT 2", (len(key), key)
            )
            if len(rows) > 1:
                raise ContainerError(f"multiple containers match the id prefix {key!r}")
            if rows:
                return rows[0]
        return None

    def labels(self, container_id: str) -> dict[str, str]:
        rows = self.db.query(
            "SELECT key, value FROM container_labels WHERE container_id = ? ORDER BY key",
            (container_id,),
        )
        return {r["key"]: r["value"] for r in rows}

    def container(self, row: sqlite3.Row) -> Container:
        return container_from_row(row, self.labels(row["id"]), self.store.layout.containers)

    def rows(
        self, labels: Mapping[str, str | None] | None = None, names: Sequence[str] = ()
    ) -> list[sqlite3.Row]:
        """Rows, newest first, filtered by labels (None: key present) and names."""
        sql = "SELECT * FROM containers"
        conditions: list[str] = []
        params: list[Any] = []
        for key, value in (labels or {}).items():
            if value is None:
                conditions.append("id IN (SELECT container_id FROM container_labels WHERE key = ?)")
                params.append(key)
            else:
                conditions.append(
                    "id IN (SELECT container_id FROM container_labels WHERE key = ? AND value = ?)"
                )
                params += [key, value]
        if names:
            conditions.append(f"name IN ({', '.join('?' for _ in names)})")
            params += [name.lstrip("/") for name in names]
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        return self.db.query(sql + " ORDER BY created_nano DESC", params)

    def all_labels(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for r in self.db.query("SELECT container_id, key, value FROM container_labels"):
            result.setdefault(r["container_id"], {})[r["key"]] = r["value"]
        return result

    # -- writing ---------------------------------------------------------------------------

    def insert(
        self,
        *,
        container_id: str,
        name: str | None,
        image: str,
        image_id: str,
        created: str,
        runtime: str,
        request: Mapping[str, Any],
        labels: Mapping[str, str],
        status: str = "created",
    ) -> str:
        """Add a container row, taking `name` (or a generated one); returns the name."""
        with self.store.lock("containers"), self.db.transaction() as conn:
            if name is None:
                taken = {r["name"] for r in conn.execute("SELECT name FROM containers")}
                name = generated_name(taken)
            else:
                name = check_name(name)
                clash = conn.execute("SELECT id FROM containers WHERE name = ?", (name,)).fetchone()
                if clash is not None:
                    raise ContainerError(
                        f'Conflict. The container name "/{name}" is already in use by container '
                        f'"{clash["id"]}". You have to remove (or rename) that container to be '
                        "able to reuse that name."
                    )
            conn.execute(
                "INSERT INTO containers(id, name, image, image_id, created, created_nano, runtime,"
                " request, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    container_id,
                    name,
                    image,
                    image_id,
                    created,
                    time.time_ns(),
                    runtime,
                    json.dumps(request),
                    status,
                ),
            )
            conn.executemany(
                "INSERT INTO container_labels(container_id, key, value) VALUES (?, ?, ?)",
                [(container_id, k, v) for k, v in labels.items()],
            )
            crashpoint(f"create {name}: row inserted, transaction open")
        return name

    def update(
        self,
        container_id: str,
        fields: Mapping[str, Any],
        events: Iterable[tuple[str, Mapping[str, str]]] = (),
    ) -> None:
        """Change state columns and add events, in one transaction; ring the bell."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT name, image FROM containers WHERE id = ?", (container_id,)
            ).fetchone()
            records.update(conn, container_id, fields)
            events = list(events)
            labels = self.labels(container_id) if events else {}
            for action, attributes in events:
                records.add_event(
                    conn,
                    container_id,
                    row["name"] if row else "",
                    row["image"] if row else "",
                    action,
                    {**labels, **attributes},
                )
        records.ring(self.bell)

    def delete(self, container_id: str, name: str, image: str) -> None:
        """Drop the row (labels follow) and record `destroy`."""
        labels = self.labels(container_id)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM containers WHERE id = ?", (container_id,))
            records.add_event(conn, container_id, name, image, "destroy", labels)
        records.ring(self.bell)

    def event(
        self, container_id: str, action: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Record one event."""
        self.update(container_id, {}, [(action, attributes or {})])

    # -- events ----------------------------------------------------------------------------

    def events_after(self, seq: int, limit: int = 1000) -> list[Event]:
        rows = self.db.query(
            "SELECT * FROM container_events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [
            Event(
                seq=r["seq"],
                time_nano=r["time_nano"],
                container_id=r["container_id"],
                name=r["name"],
                image=r["image"],
                action=r["action"],
                attributes=json.loads(r["attributes"]),
            )
            for r in rows
        ]

    def first_event_since(self, nanos: int) -> int:
        """The seq just before the first event at or after `nanos`."""
        row = self.db.query_one(
            "SELECT MIN(seq) AS seq FROM container_events WHERE time_nano >= ?", (nanos,)
        )
        if row is None or row["seq"] is None:
            last = self.db.query_one("SELECT MAX(seq) AS seq FROM container_events")
            return int(last["seq"] or 0) if last else 0
        return int(row["seq"]) - 1
