"""Removing images and collecting what nothing refers to: `image rm`, `image prune`, `system df`.

Everything here runs under the exclusive images lock, so no pull, load or build
is between writing a blob and registering the image that needs it. An image
held by a container is never deleted, and neither are its snapshots or blobs.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field

from runtime.images.creation import images_lock
from runtime.images.errors import ImageInUse
from runtime.images.imagestore import ImageStore
from runtime.images.reference import InvalidReference, looks_like_id, parse_reference
from runtime.store import Store

# Scratch entries of crashed operations; left alone while they may still be in use.
SCRATCH_PREFIXES = ("snapshot-", "removing-", "blob-", "bootstrap-", "load-")
STALE_SCRATCH_SECONDS = 3600


@dataclass
class Removal:
    """What a removal did: tags dropped, images deleted, bytes given back to the disk."""

    untagged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    reclaimed: int = 0


@dataclass(frozen=True)
class ImagesUsage:
    """`system df` for images: how many, how many in use, bytes, bytes a prune could free."""

    total: int
    active: int
    size: int
    reclaimable: int


def remove_image(store: Store, name: str, *, force: bool = False) -> Removal:
    """`image rm NAME`: untag; delete the image when no tag is left and nothing holds it."""
    images = ImageStore(store)
    result = Removal()
    with images_lock(store, exclusive=True):
        image = images.get(name)
        by_tag = _is_tag(name) and not image.id.removeprefix("sha256:").startswith(
            name.removeprefix("sha256:")
        )
        if by_tag and len(image.repo_tags) > 1:
            reference = parse_reference(name)
            images.untag(reference)
            result.untagged.append(reference.familiar)
            return result
        if not by_tag and len(image.repo_tags) > 1 and not force:
            raise ImageInUse(
                f"image {image.short_id} is referenced in multiple repositories; "
                "remove its tags one by one or use --force"
            )
        if image.holds and not (force and by_tag):
            kind, holder = image.holds[0]
            raise ImageInUse(
                f"image {image.short_id} is in use by {kind} {holder}; remove it first"
            )
        children = images.children(image.id)
        for tag in image.repo_tags:
            reference = parse_reference(tag)
            images.untag(reference)
            result.untagged.append(reference.familiar)
        if image.holds or children:
            return result
        images.delete(image.id)
        result.deleted.append(image.id)
        result.reclaimed = collect(store)
    return result


def _is_tag(name: str) -> bool:
    if looks_like_id(name):
        return False
    try:
        parse_reference(name)
    except InvalidReference:
        return False
    return True


def prune_images(store: Store, *, all_unused: bool = False) -> Removal:
    """Delete dangling images (no tag), or with `all_unused` every image nothing holds."""
    images = ImageStore(store)
    result = Removal()
    with images_lock(store, exclusive=True):
        while True:
            condition = "" if all_unused else "AND id NOT IN (SELECT image_id FROM tags)"
            rows = store.db.query(
                "SELECT id FROM images WHERE id NOT IN (SELECT image_id FROM holds)"
                " AND id NOT IN (SELECT parent FROM images WHERE parent IS NOT NULL) " + condition
            )
            if not rows:
                break
            for row in rows:
                image = images.load(row["id"])
                result.untagged.extend(parse_reference(t).familiar for t in image.repo_tags)
                images.delete(image.id)
                result.deleted.append(image.id)
        result.reclaimed = collect(store)
    return result


def collect(store: Store) -> int:
    """Remove snapshots, blobs and scratch files no image refers to; return bytes freed.

    The caller holds the exclusive images lock.
    """
    images = ImageStore(store)
    freed = 0
    used_chains = {
        r["chain_id"] for r in store.db.query("SELECT DISTINCT chain_id FROM image_layers")
    }
    for chain in list(images.snapshots):
        if chain not in used_chains:
            freed += images.snapshots.disk_usage(chain)
            images.snapshots.remove(chain)
    used_blobs = {r["digest"] for r in store.db.query("SELECT digest FROM blob_refs")}
    for digest in list(store.blobs):
        if digest not in used_blobs:
            freed += store.blobs.size(digest)
            store.blobs.remove(digest)
    with store.db.transaction() as conn:
        conn.execute(
            "DELETE FROM snapshots WHERE chain_id NOT IN (SELECT chain_id FROM image_layers)"
        )
        conn.execute("DELETE FROM blob_sources WHERE digest NOT IN (SELECT digest FROM blob_refs)")
    tmp = store.layout.tmp
    if tmp.exists():
        stale = time.time() - STALE_SCRATCH_SECONDS
        for leftover in tmp.iterdir():
            if leftover.name.startswith(SCRATCH_PREFIXES) and leftover.lstat().st_mtime < stale:
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
    return freed


def images_usage(store: Store) -> ImagesUsage:
    """Counts and sizes for `system df` (snapshot content plus blobs, each counted once)."""
    ImageStore(store)  # creates the tables on a fresh store
    rows = store.db.query("SELECT id, id IN (SELECT image_id FROM holds) AS held FROM images")
    active_ids = {r["id"] for r in rows if r["held"]}
    layer_rows = store.db.query(
        "SELECT l.image_id, l.chain_id, l.blob_digest, l.blob_size, COALESCE(s.size, 0) AS size"
        " FROM image_layers l LEFT JOIN snapshots s ON s.chain_id = l.chain_id"
    )
    sizes: dict[str, int] = {}
    users: dict[str, set[str]] = {}
    for row in layer_rows:
        for key, size in ((row["chain_id"], row["size"]), (row["blob_digest"], row["blob_size"])):
            sizes[key] = size
            users.setdefault(key, set()).add(row["image_id"])
    total = sum(sizes.values())
    reclaimable = sum(size for key, size in sizes.items() if not users[key] & active_ids)
    return ImagesUsage(len(rows), len(active_ids), total, reclaimable)
