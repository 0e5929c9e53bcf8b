"""The orchestrator's own table in the store: each service configuration a container was made from.

A container's labels carry only the hash of its service's configuration; to
tell a user *what* changed (`web: recreate (environment changed)`), the
normalised configuration behind each hash is kept here, keyed by the hash, and
compared key by key with the file's. Rows of a project go with `down`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.store import Store

COMPONENT = "orchestrator"
MIGRATIONS = [
    """
    CREATE TABLE service_configs (
        hash TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        service TEXT NOT NULL,
        config TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX service_configs_project ON service_configs(project);
    """
]


class ServiceConfigs:
    """Normalised service configurations by config hash."""

    def __init__(self, store: Store):
        self.db = store.db
        self.db.migrate(COMPONENT, MIGRATIONS)

    def remember(
        self, project: str, service: str, config_hash: str, config: dict[str, Any]
    ) -> None:
        """Keep `config` under its hash (before a container is made from it)."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO service_configs(hash, project, service, config, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (config_hash, project, service, json.dumps(config, sort_keys=True), created),
            )

    def recall(self, config_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The configurations kept for these hashes (unknown hashes are left out)."""
        wanted = sorted(set(config_hashes))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.db.query(
            f"SELECT hash, config FROM service_configs WHERE hash IN ({marks})", wanted
        )
        return {row["hash"]: json.loads(row["config"]) for row in rows}

    def forget(self, project: str, keep: Iterable[str] = ()) -> None:
        """Drop a project's configurations except those still in use (`keep`)."""
        kept = sorted(set(keep))
        marks = ",".join("?" * len(kept))
        clause = f" AND hash NOT IN ({marks})" if kept else ""
        with self.db.transaction() as conn:
            conn.execute(f"DELETE FROM service_configs WHERE project = ?{clause}", [project, *kept])
