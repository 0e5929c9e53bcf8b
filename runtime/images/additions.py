"""What one pull or load added to the store, and taking it back when that operation fails.

Blobs and snapshots are verified and renamed into place one by one; if a later
step fails, those that no image refers to are removed again, under the
exclusive images lock so no concurrent pull is between "found it" and
"registered it".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from runtime.images.creation import images_lock
from runtime.layers.snapshots import Snapshots
from runtime.store import Store


@dataclass
class Additions:
    """Blobs and snapshots an operation created, with the unpacked size of each snapshot."""

    blobs: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blob(self, digest: str) -> None:
        with self.lock:
            self.blobs.append(digest)

    def snapshot(self, chain_id: str, size: int) -> None:
        with self.lock:
            self.snapshots.append(chain_id)
            self.sizes[chain_id] = size


def take_back(store: Store, additions: Additions) -> None:
    """Remove what a failed operation added that no image refers to."""
    if not additions.blobs and not additions.snapshots:
        return
    snapshots = Snapshots(store)
    with images_lock(store, exclusive=True):
        for chain in additions.snapshots:
            used = store.db.query_one("SELECT 1 FROM image_layers WHERE chain_id = ?", (chain,))
            if used is None:
                snapshots.remove(chain)
        for digest in additions.blobs:
            used = store.db.query_one("SELECT 1 FROM blob_refs WHERE digest = ?", (digest,))
            if used is None:
                store.blobs.remove(digest)
