"""The build cache: step cache key -> the layer and history entry the step produced.

Entries live in the store's database (component `buildcache`); each entry's
layer blob is held (`ImageStore.hold_blob`) so image garbage collection
leaves it, and let go when the entry is pruned. Snapshots are not held: a
cached layer whose snapshot was collected is unpacked again from its blob
when a later step needs it. Metadata steps have no entry: their history is
derived, so only filesystem steps are looked up.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runtime.images.creation import LayerBlob, images_lock
from runtime.images.imagestore import Descriptor, ImageStore
from runtime.store import Store

HOLDER = "build-cache"
MIGRATIONS = [
    """
    CREATE TABLE build_cache (
        key TEXT PRIMARY KEY,
        parent TEXT NOT NULL,
        description TEXT NOT NULL,
        blob_digest TEXT NOT NULL,
        blob_size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        diff_id TEXT NOT NULL,
        content_size INTEGER NOT NULL DEFAULT 0,
        history TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_used REAL NOT NULL
    );
    CREATE INDEX build_cache_blob ON build_cache(blob_digest);
    CREATE TABLE build_context_files (
        context TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (context, path)
    );
    CREATE TABLE build_source_digests (
        state_key TEXT NOT NULL,
        source TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (state_key, source)
    );
    """,
]


@dataclass(frozen=True)
class CacheEntry:
    """What a cached step produced: its layer and its history entry."""

    key: str
    layer: LayerBlob
    history: dict[str, Any]


@dataclass(frozen=True)
class CacheUsage:
    """`system df` for the build cache: entries, bytes, and bytes no image shares."""

    entries: int
    size: int
    reclaimable: int


class BuildCache:
    """Lookups and records of step results in one store."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        ImageStore(store)  # its tables (blob holds, image layers) are referred to here
        self.db.migrate("buildcache", MIGRATIONS)
        self._used: list[str] = []

    def lookup(self, key: str) -> CacheEntry | None:
        """The entry for `key`, if its blob is still in the store."""
        row = self.db.query_one("SELECT * FROM build_cache WHERE key = ?", (key,))
        if row is None:
            return None
        if not self.store.blobs.exists(row["blob_digest"]):
            return None
        self._used.append(key)
        blob = Descriptor(row["media_type"], row["blob_digest"], row["blob_size"])
        layer = LayerBlob(blob, row["diff_id"], row["content_size"])
        return CacheEntry(key, layer, json.loads(row["history"]))

    def record(
        self, key: str, parent: str, description: str, layer: LayerBlob, history: dict[str, Any]
    ) -> None:
        """Remember a step's result and hold its blob (call with the images lock held)."""
        now = time.time()
        images = ImageStore(self.store)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO build_cache(key, parent, description, blob_digest, blob_size,"
                " media_type, diff_id, content_size, history, created_at, last_used)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET"
                " blob_digest = excluded.blob_digest, blob_size = excluded.blob_size,"
                " media_type = excluded.media_type, diff_id = excluded.diff_id,"
                " content_size = excluded.content_size, history = excluded.history,"
                " last_used = excluded.last_used",
                (
                    key,
                    parent,
                    description,
                    layer.blob.digest,
                    layer.blob.size,
                    layer.blob.media_type,
                    layer.diff_id,
                    layer.content_size,
                    json.dumps(history, separators=(",", ":")),
                    now,
                    now,
                ),
            )
            images.hold_blob(layer.blob.digest, HOLDER, key)

    def source_digest(self, state_key: str, source: str) -> str | None:
        """The remembered digest of a COPY --from source in the stage state `state_key`."""
        row = self.db.query_one(
            "SELECT digest FROM build_source_digests WHERE state_key = ? AND source = ?",
            (state_key, source),
        )
        return str(row["digest"]) if row else None

    def record_source_digest(self, state_key: str, source: str, digest: str) -> None:
        """Remember a COPY --from source's digest (a state key always has the same content)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO build_source_digests(state_key, source, digest) VALUES (?,?,?)"
                " ON CONFLICT DO NOTHING",
                (state_key, source, digest),
            )

    def touch(self) -> None:
        """Mark the entries looked up since the last call as used now (one transaction)."""
        if not self._used:
            return
        keys, self._used = self._used, []
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE build_cache SET last_used = ? WHERE key = ?",
                [(time.time(), key) for key in keys],
            )

    def keys(self) -> list[str]:
        """Every cache key, oldest first."""
        rows = self.db.query("SELECT key FROM build_cache ORDER BY created_at")
        return [row["key"] for row in rows]

    def remove(self, keys: Iterable[str]) -> int:
        """Drop entries and their blob holds; return how many went."""
        removed = 0
        images = ImageStore(self.store)
        with self.db.transaction() as conn:
            for key in keys:
                row = conn.execute(
                    "SELECT blob_digest FROM build_cache WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    continue
                conn.execute("DELETE FROM build_cache WHERE key = ?", (key,))
                images.release_blob(row["blob_digest"], HOLDER, key)
                removed += 1
        return removed

    def usage(self) -> CacheUsage:
        """Entries and sizes; blobs also used by an image are not reclaimable."""
        rows = self.db.query(
            "SELECT c.blob_digest, MAX(c.blob_size) AS size,"
            " EXISTS(SELECT 1 FROM image_layers l WHERE l.blob_digest = c.blob_digest) AS shared,"
            " COUNT(*) AS entries FROM build_cache c GROUP BY c.blob_digest"
        )
        size = sum(row["size"] for row in rows)
        reclaimable = sum(row["size"] for row in rows if not row["shared"])
        return CacheUsage(sum(row["entries"] for row in rows), size, reclaimable)


def _remove_cache_mounts(store: Store) -> int:
    """Delete every RUN --mount=type=cache directory; return the bytes they held."""
    from runtime.build.run_mounts import CACHE_MOUNTS

    directory = store.layout.root / CACHE_MOUNTS
    if not directory.exists():
        return 0
    size = 0
    for path in directory.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size += path.lstat().st_blocks * 512
    shutil.rmtree(directory, ignore_errors=True)
    return size


def prune_build_cache(store: Store, *, older_than: float | None = None) -> tuple[int, int]:
    """Remove build cache entries (all, or unused for `older_than` seconds) and collect.

    Pruning everything also empties the RUN cache mounts and the digest indexes.

    Returns (entries removed, bytes freed). Runs under the exclusive images
    lock, so no build is between recording an entry and using it.
    """
    from runtime.build.workspace import sweep
    from runtime.images.garbage import collect

    cache = BuildCache(store)
    with images_lock(store, exclusive=True):
        sweep(store)
        if older_than is None:
            keys = cache.keys()
        else:
            limit = time.time() - older_than
            rows = store.db.query("SELECT key FROM build_cache WHERE last_used < ?", (limit,))
            keys = [row["key"] for row in rows]
        removed = cache.remove(keys)
        freed = collect(store) if removed else 0
        if older_than is None:
            with store.db.transaction() as conn:
                conn.execute("DELETE FROM build_source_digests")
                conn.execute("DELETE FROM build_context_files")
            freed += _remove_cache_mounts(store)
    return removed, freed
