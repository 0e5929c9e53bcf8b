"""The volume store: records in SQLite, data under `<root>/volumes/<name>/_data`.

A container that uses a volume holds it (kind "container", its id); `remove`
refuses a held volume unless forced, `prune` skips held ones. Volumes are
never removed with their container unless the caller asks.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from runtime.crashpoints import crashpoint
from runtime.errors import VolumeError
from runtime.store import Store

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
MIGRATIONS = [
    """
    CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        driver TEXT NOT NULL DEFAULT 'local',
        created TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        anonymous INTEGER NOT NULL DEFAULT 0,
        filled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE volume_holds (
        volume TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,
        holder_kind TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        PRIMARY KEY (volume, holder_kind, holder_id)
    );
    """
]


@dataclass(frozen=True)
class Volume:
    """One volume as `volume inspect` shows it."""

    name: str
    mountpoint: Path
    created: str
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False
    filled: bool = False
    holders: tuple[str, ...] = ()

    def inspect(self) -> dict[str, object]:
        """Docker's `volume inspect` fields."""
        return {
            "CreatedAt": self.created,
            "Driver": "local",
            "Labels": self.labels,
            "Mountpoint": str(self.mountpoint),
            "Name": self.name,
            "Options": self.options,
            "Scope": "local",
        }


class VolumeStore:
    """Volumes of one engine root."""

    def __init__(self, store: Store):
        self.store = store
        self.root = store.layout.volumes
        store.db.migrate("volumes", MIGRATIONS)

    def data_path(self, name: str) -> Path:
        return self.root / name / "_data"

    def _volume(self, row: object) -> Volume:
        assert row is not None
        r = dict(row)  # type: ignore[call-overload]
        holders = self.store.db.query(
            "SELECT holder_kind, holder_id FROM volume_holds WHERE volume = ?", (r["name"],)
        )
        return Volume(
            name=r["name"],
            mountpoint=self.data_path(r["name"]),
            created=r["created"],
            labels=json.loads(r["labels"]),
            options=json.loads(r["options"]),
            anonymous=bool(r["anonymous"]),
            filled=bool(r["filled"]),
            holders=tuple(f"{h['holder_kind']}:{h['holder_id']}" for h in holders),
        )

    def create(
        self,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
        exist_ok: bool = True,
    ) -> Volume:
        """Create a volume (a random anonymous name when `name` is None)."""
        anonymous = name is None
        name = name or secrets.token_hex(32)
        if not NAME_RE.match(name):
            raise VolumeError(
                f"invalid volume name {name!r}: use letters, digits, '_', '.', '-' "
                "(starting with a letter or digit)"
            )
        if options:
            raise VolumeError(f"volume options are not supported by the local driver: {options}")
        with self.store.db.transaction() as conn:
            existing = conn.execute("SELECT * FROM volumes WHERE name = ?", (name,)).fetchone()
            if existing is not None:
                if not exist_ok:
                    raise VolumeError(f"volume {name} already exists")
                return self._volume(existing)
            self.data_path(name).mkdir(parents=True, exist_ok=True)
            crashpoint(f"create volume {name}: directory made")
            created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            conn.execute(
                "INSERT INTO volumes(name, created, labels, options, anonymous)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, created, json.dumps(labels or {}), json.dumps(options or {}), anonymous),
            )
        return self.get(name)

    def get(self, name: str) -> Volume:
        row = self.store.db.query_one("SELECT * FROM volumes WHERE name = ?", (name,))
        if row is None:
            raise VolumeError(f"no such volume: {name}")
        return self._volume(row)

    def exists(self, name: str) -> bool:
        return self.store.db.query_one("SELECT 1 FROM volumes WHERE name = ?", (name,)) is not None

    def list_volumes(
        self, labels: dict[str, str | None] | None = None, dangling: bool | None = None
    ) -> list[Volume]:
        """All volumes, optionally filtered by labels (value None: key present) and use."""
        volumes = [
            self._volume(row) for row in self.store.db.query("SELECT * FROM volumes ORDER BY name")
        ]
        result = []
        for volume in volumes:
            if labels and not all(
                key in volume.labels and (value is None or volume.labels[key] == value)
                for key, value in labels.items()
            ):
                continue
            if dangling is not None and dangling != (not volume.holders):
                continue
            result.append(volume)
        return result

    def mark_filled(self, name: str) -> None:
        """Record that the volume got its copy-up (it is never filled twice)."""
        with self.store.db.transaction() as conn:
            conn.execute("UPDATE volumes SET filled = 1 WHERE name = ?", (name,))

    def hold(self, name: str, holder_kind: str, holder_id: str) -> None:
        """Mark the volume as used by a holder (a container)."""
        with self.store.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM volumes WHERE name = ?", (name,)).fetchone() is None:
                raise VolumeError(f"no such volume: {name}")
            conn.execute(
                "INSERT OR IGNORE INTO volume_holds(volume, holder_kind, holder_id) VALUES (?, ?, ?)",
                (name, holder_kind, holder_id),
            )

    def release(self, holder_kind: str, holder_id: str, name: str | None = None) -> None:
        """Drop a holder's holds (on one volume, or all of them)."""
        with self.store.db.transaction() as conn:
            if name is None:
                conn.execute(
                    "DELETE FROM volume_holds WHERE holder_kind = ? AND holder_id = ?",
                    (holder_kind, holder_id),
                )
            else:
                conn.execute(
                    "DELETE FROM volume_holds WHERE volume = ? AND holder_kind = ? AND holder_id = ?",
                    (name, holder_kind, holder_id),
                )

    def remove(self, name: str, force: bool = False) -> None:
        """Delete a volume and its data; refused while a container holds it (unless forced)."""
        volume = self.get(name)
        if volume.holders and not force:
            users = ", ".join(volume.holders)
            raise VolumeError(f"volume {name} is in use by {users}: remove those first")
        with self.store.db.transaction() as conn:
            conn.execute("DELETE FROM volumes WHERE name = ?", (name,))
            crashpoint(f"remove volume {name}: record deleted")
        shutil.rmtree(self.root / name, ignore_errors=True)
        crashpoint(f"remove volume {name}: removed")

    def recover(self) -> list[str]:
        """Remove volume directories without a record (a create or remove killed half-way:
        both change the directory inside the record's transaction); their names."""
        if not self.root.is_dir():
            return []
        removed = []
        with self.store.db.transaction() as conn:
            names = {row["name"] for row in conn.execute("SELECT name FROM volumes")}
            for entry in self.root.iterdir():
                if entry.is_dir() and entry.name not in names:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
        return removed

    def prune(self, all: bool = False, labels: dict[str, str | None] | None = None) -> list[str]:
        """Remove unused volumes: anonymous ones only, or every unused one with `all`."""
        removed = []
        for volume in self.list_volumes(labels=labels, dangling=True):
            if volume.anonymous or all:
                self.remove(volume.name)
                removed.append(volume.name)
        return removed
