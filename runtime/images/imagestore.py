"""The image metadata store: images, their layers and snapshots, tags, digests and holds.

An image's id is the digest of its config blob. Its config, manifests and layer
blobs are kept byte for byte in the blob store; this module keeps what refers
to what, so lookups, reference counts and garbage collection are queries.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.images.errors import ImageError, ImageInUse, ImageNotFound, InvalidReference
from runtime.images.reference import Reference, is_id_prefix, looks_like_id, parse_reference
from runtime.images.schema import MIGRATIONS
from runtime.layers.snapshots import Snapshots
from runtime.store import Store


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a blob is, its digest and its size."""

    media_type: str
    digest: str
    size: int


@dataclass(frozen=True)
class LayerRecord:
    """One layer of an image: its blob, its uncompressed digest and its snapshot's chain id."""

    diff_id: str
    chain_id: str
    blob: Descriptor
    size: int = 0


@dataclass(frozen=True)
class NewImage:
    """Everything needed to register an image whose blobs and snapshots are in place."""

    config_digest: str
    config_size: int
    config: dict[str, Any]
    manifest: Descriptor
    layers: Sequence[LayerRecord]
    other_manifests: Sequence[Descriptor] = ()
    parent: str | None = None


@dataclass(frozen=True)
class Image:
    """A local image as the rest of the engine sees it."""

    id: str
    config: dict[str, Any]
    layers: list[LayerRecord]
    repo_tags: list[str]
    repo_digests: list[str]
    manifest: Descriptor
    size: int
    added_at: float
    parent: str | None = None
    holds: list[tuple[str, str]] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return self.id.split(":", 1)[1][:12]

    @property
    def diff_ids(self) -> list[str]:
        return [layer.diff_id for layer in self.layers]

    @property
    def chain_ids(self) -> list[str]:
        return [layer.chain_id for layer in self.layers]

    @property
    def runtime_config(self) -> dict[str, Any]:
        """The `config` object of the image config (Env, Cmd, Entrypoint, ...)."""
        value = self.config.get("config") or {}
        return dict(value)

    @property
    def created(self) -> str:
        return str(self.config.get("created") or "")


class ImageStore:
    """Image metadata in the store's database (component `images`)."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.db
        self.db.migrate("images", MIGRATIONS)
        self.snapshots = Snapshots(store)

    # --- lookup -----------------------------------------------------------------

    def get(self, name: str) -> Image:
        """The image named by a reference, a digest reference, a full id or a short id."""
        image_id = self.resolve(name)
        if image_id is None:
            raise ImageNotFound(f"no such image: {name}")
        return self.load(image_id)

    def find(self, name: str) -> Image | None:
        """Like `get`, but None when nothing matches."""
        image_id = self.resolve(name)
        return self.load(image_id) if image_id else None

    def resolve(self, name: str) -> str | None:
        """The id of the image `name` refers to, or None."""
        if looks_like_id(name):
            full = name if name.startswith("sha256:") else "sha256:" + name
            row = self.db.query_one("SELECT id FROM images WHERE id = ?", (full,))
            if row:
                return str(row["id"])
        try:
            reference = parse_reference(name)
        except InvalidReference:
            reference = None
        if reference is not None:
            if reference.digest:
                row = self.db.query_one(
                    "SELECT image_id FROM repo_digests WHERE repository = ? AND digest = ?",
                    (reference.repository, reference.digest),
                ) or self.db.query_one(
                    "SELECT image_id FROM manifests WHERE digest = ?", (reference.digest,)
                )
            else:
                row = self.db.query_one(
                    "SELECT image_id FROM tags WHERE name = ?", (reference.tagged_name,)
                )
            if row:
                return str(row["image_id"])
        if is_id_prefix(name):
            prefix = "sha256:" + name.removeprefix("sha256:")
            rows = self.db.query(
                "SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
            )
            if len(rows) > 1:
                raise ImageError(f"short image id {name!r} is ambiguous")
            if rows:
                return str(rows[0]["id"])
        return None

    def load(self, image_id: str) -> Image:
        """The full record of the image `image_id`."""
        row = self.db.query_one("SELECT * FROM images WHERE id = ?", (image_id,))
        if row is None:
            raise ImageNotFound(f"no such image: {image_id}")
        config = json.loads(self.store.blobs.read(image_id))
        layers = [
            LayerRecord(
                diff_id=layer["diff_id"],
                chain_id=layer["chain_id"],
                blob=Descriptor(layer["media_type"], layer["blob_digest"], layer["blob_size"]),
                size=layer["size"] or 0,
            )
            for layer in self.db.query(
                "SELECT l.*, s.size FROM image_layers l LEFT JOIN snapshots s"
                " ON s.chain_id = l.chain_id WHERE l.image_id = ? ORDER BY position",
                (image_id,),
            )
        ]
        tags = [
            r["name"]
            for r in self.db.query(
                "SELECT name FROM tags WHERE image_id = ? ORDER BY name", (image_id,)
            )
        ]
        digests = [
            f"{r['repository']}@{r['digest']}"
            for r in self.db.query(
                "SELECT repository, digest FROM repo_digests WHERE image_id = ? ORDER BY repository",
                (image_id,),
            )
        ]
        holds = [
            (r["holder_kind"], r["holder_id"])
            for r in self.db.query(
                "SELECT holder_kind, holder_id FROM holds WHERE image_id = ?", (image_id,)
            )
        ]
        return Image(
            id=image_id,
            config=config,
            layers=layers,
            repo_tags=tags,
            repo_digests=digests,
            manifest=Descriptor(
                row["manifest_media_type"], row["manifest_digest"], row["manifest_size"]
            ),
            size=sum(layer.size for layer in layers),
            added_at=row["added_at"],
            parent=row["parent"],
            holds=holds,
        )

    def all(self) -> list[Image]:
        """Every local image, newest first."""
        rows = self.db.query("SELECT id FROM images ORDER BY added_at DESC")
        return [self.load(row["id"]) for row in rows]

    def children(self, image_id: str) -> list[str]:
        """Images built on top of `image_id`."""
        return [
            r["id"] for r in self.db.query("SELECT id FROM images WHERE parent = ?", (image_id,))
        ]

    def lower_dirs(self, image: Image | str) -> list[Path]:
        """The snapshot directories of an image, lowest layer first (overlay lower dirs)."""
        record = image if isinstance(image, Image) else self.get(image)
        return self.snapshots.lower_dirs(record.chain_ids)

    # --- changes ----------------------------------------------------------------

    def register(
        self,
        new: NewImage,
        *,
        tags: Sequence[Reference] = (),
        repo_digests: Sequence[tuple[str, str]] = (),
        source: tuple[str, str] | None = None,
    ) -> str:
        """Record an image whose blobs and snapshots exist; add its tags; return its id."""
        now = time.time()
        size = sum(layer.size for layer in new.layers)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO images(id, config_size, manifest_digest, manifest_media_type,"
                " manifest_size, parent, created, architecture, os, size, added_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
                (
                    new.config_digest,
                    new.config_size,
                    new.manifest.digest,
                    new.manifest.media_type,
                    new.manifest.size,
                    new.parent,
                    str(new.config.get("created") or ""),
                    str(new.config.get("architecture") or ""),
                    str(new.config.get("os") or ""),
                    size,
                    now,
                ),
            )
            parent_chain = None
            for position, layer in enumerate(new.layers):
                conn.execute(
                    "INSERT INTO snapshots(chain_id, diff_id, parent, size, created_at)"
                    " VALUES (?,?,?,?,?) ON CONFLICT(chain_id) DO NOTHING",
                    (layer.chain_id, layer.diff_id, parent_chain, layer.size, now),
                )
                conn.execute(
                    "INSERT INTO image_layers(image_id, position, diff_id, chain_id, blob_digest,"
                    " media_type, blob_size) VALUES (?,?,?,?,?,?,?)"
                    " ON CONFLICT(image_id, position) DO NOTHING",
                    (
                        new.config_digest,
                        position,
                        layer.diff_id,
                        layer.chain_id,
                        layer.blob.digest,
                        layer.blob.media_type,
                        layer.blob.size,
                    ),
                )
                parent_chain = layer.chain_id
                if source is not None:
                    _insert_source(conn, layer.blob.digest, source)
            for manifest in (new.manifest, *new.other_manifests):
                conn.execute(
                    "INSERT INTO manifests(digest, image_id, media_type, size) VALUES (?,?,?,?)"
                    " ON CONFLICT DO NOTHING",
                    (manifest.digest, new.config_digest, manifest.media_type, manifest.size),
                )
            for repository, digest in repo_digests:
                conn.execute(
                    "INSERT INTO repo_digests(repository, digest, image_id) VALUES (?,?,?)"
                    " ON CONFLICT(repository, digest) DO UPDATE SET image_id = excluded.image_id",
                    (repository, digest, new.config_digest),
                )
            for reference in tags:
                _set_tag(conn, reference, new.config_digest, now)
        return new.config_digest

    def tag(self, image_id: str, reference: Reference) -> None:
        """Point the tag `reference` at `image_id` (moving it if it pointed elsewhere)."""
        if reference.digest:
            raise InvalidReference(f"cannot tag with a digest reference: {reference}")
        with self.db.transaction() as conn:
            _set_tag(conn, reference, image_id, time.time())

    def untag(self, reference: Reference) -> str | None:
        """Remove a tag; return the image it pointed to."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT image_id FROM tags WHERE name = ?", (reference.tagged_name,)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM tags WHERE name = ?", (reference.tagged_name,))
            return str(row["image_id"])

    def record_source(self, digest: str, registry: str, repository: str) -> None:
        """Remember that a registry repository has a blob (for cross-repository mounts)."""
        with self.db.transaction() as conn:
            _insert_source(conn, digest, (registry, repository))

    def register_repo_digest(self, image_id: str, repository: str, digest: str) -> None:
        """Record that `repository@digest` is `image_id` (after a push)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO repo_digests(repository, digest, image_id) VALUES (?,?,?)"
                " ON CONFLICT(repository, digest) DO UPDATE SET image_id = excluded.image_id",
                (repository, digest, image_id),
            )

    def sources(self, digest: str, registry: str) -> list[str]:
        """Repositories of `registry` known to hold `digest`."""
        return [
            r["repository"]
            for r in self.db.query(
                "SELECT repository FROM blob_sources WHERE digest = ? AND registry = ?",
                (digest, registry),
            )
        ]

    # --- holds ------------------------------------------------------------------

    def hold(self, image_id: str, holder_kind: str, holder_id: str) -> None:
        """Protect `image_id` (and its snapshots and blobs) from removal while held."""
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO holds(image_id, holder_kind, holder_id, created_at)"
                    " VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                    (image_id, holder_kind, holder_id, time.time()),
                )
        except sqlite3.IntegrityError as exc:
            raise ImageNotFound(f"no such image: {image_id}") from exc

    def release(self, image_id: str, holder_kind: str, holder_id: str) -> None:
        """Drop one hold (idempotent)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM holds WHERE image_id = ? AND holder_kind = ? AND holder_id = ?",
                (image_id, holder_kind, holder_id),
            )

    def release_holder(self, holder_kind: str, holder_id: str) -> None:
        """Drop every hold of one holder (a container being removed)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM holds WHERE holder_kind = ? AND holder_id = ?",
                (holder_kind, holder_id),
            )

    def hold_blob(self, digest: str, holder_kind: str, holder_id: str) -> None:
        """Keep a blob that no image refers to (a build cache entry) from garbage collection."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO blob_holds(digest, holder_kind, holder_id) VALUES (?,?,?)"
                " ON CONFLICT DO NOTHING",
                (digest, holder_kind, holder_id),
            )

    def release_blob(self, digest: str, holder_kind: str, holder_id: str) -> None:
        """Drop a blob hold (idempotent); the next collection may remove the blob."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM blob_holds WHERE digest = ? AND holder_kind = ? AND holder_id = ?",
                (digest, holder_kind, holder_id),
            )

    def holders(self, image_id: str) -> list[tuple[str, str]]:
        rows = self.db.query(
            "SELECT holder_kind, holder_id FROM holds WHERE image_id = ?", (image_id,)
        )
        return [(r["holder_kind"], r["holder_id"]) for r in rows]

    def delete(self, image_id: str) -> None:
        """Delete an image's rows (tags, digests, layers); refuses while it is held."""
        with self.db.transaction() as conn:
            held = conn.execute(
                "SELECT holder_kind, holder_id FROM holds WHERE image_id = ? LIMIT 1", (image_id,)
            ).fetchone()
            if held is not None:
                raise ImageInUse(
                    f"image {image_id[7:19]} is in use by {held['holder_kind']} {held['holder_id']}"
                )
            conn.execute("DELETE FROM images WHERE id = ?", (image_id,))
            conn.execute(
                "DELETE FROM snapshots WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)"
            )


def _set_tag(conn: sqlite3.Connection, reference: Reference, image_id: str, now: float) -> None:
    try:
        conn.execute(
            "INSERT INTO tags(name, repository, tag, image_id, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id,"
            " updated_at = excluded.updated_at",
            (reference.tagged_name, reference.repository, reference.tag or "latest", image_id, now),
        )
    except sqlite3.IntegrityError as exc:
        raise ImageNotFound(f"no such image: {image_id}") from exc


def _insert_source(conn: sqlite3.Connection, digest: str, source: tuple[str, str]) -> None:
    conn.execute(
        "INSERT INTO blob_sources(digest, registry, repository) VALUES (?,?,?)"
        " ON CONFLICT DO NOTHING",
        (digest, source[0], source[1]),
    )
