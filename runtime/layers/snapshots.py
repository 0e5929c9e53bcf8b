"""Snapshots: each layer unpacked once into a directory named after its chain id.

A snapshot holds one layer's own content with overlayfs whiteouts, ready to be
an overlay lower directory; an image's root filesystem is its snapshots stacked
in order. A snapshot is unpacked into a temporary directory under a per-chain-id
lock and renamed into place, so it is either complete or absent, and two
processes asking for the same one unpack it once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from runtime.layers.apply import AppliedLayer, apply_layer
from runtime.store import Store
from runtime.store.blobs import check_digest
from runtime.store.scratch import scratch_prefix


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """The OCI chain ids of a stack of layers: ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n))."""
    chains: list[str] = []
    for diff_id in diff_ids:
        if not chains:
            chains.append(diff_id)
        else:
            chains.append(
                "sha256:" + hashlib.sha256(f"{chains[-1]} {diff_id}".encode()).hexdigest()
            )
    return chains


class Snapshots:
    """The unpacked layers under `layout.snapshots`."""

    def __init__(self, store: Store):
        self.store = store
        self.directory = store.layout.snapshots

    def path(self, chain_id: str) -> Path:
        """The directory of the snapshot `chain_id` (present or not)."""
        return self.directory / check_digest(chain_id).split(":", 1)[1]

    def exists(self, chain_id: str) -> bool:
        return self.path(chain_id).is_dir()

    def lower_dirs(self, chain_ids_: Sequence[str]) -> list[Path]:
        """The snapshot directories of a layer stack, lowest layer first."""
        return [self.path(chain_id) for chain_id in chain_ids_]

    def ensure(
        self,
        chain_id: str,
        diff_id: str,
        open_layer: Callable[[], BinaryIO],
        on_read: Callable[[int], None] | None = None,
    ) -> AppliedLayer | None:
        """Unpack the layer into the snapshot `chain_id` unless it exists; None if it did."""
        final = self.path(chain_id)
        with self.store.lock(f"snapshot-{final.name}"):
            if final.is_dir():
                return None
            self.directory.mkdir(parents=True, exist_ok=True)
            self.store.layout.tmp.mkdir(parents=True, exist_ok=True)
            staging = Path(
                tempfile.mkdtemp(dir=self.store.layout.tmp, prefix=scratch_prefix("snapshot"))
            )
            try:
                os.chmod(staging, 0o755)
                with open_layer() as source:
                    applied = apply_layer(
                        source, staging, expected_diff_id=diff_id, on_read=on_read
                    )
                os.rename(staging, final)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            return applied

    def remove(self, chain_id: str) -> None:
        """Delete a snapshot: renamed away first, so a half-deleted one is never seen."""
        final = self.path(chain_id)
        with self.store.lock(f"snapshot-{final.name}"):
            if not final.exists():
                return
            doomed = Path(
                tempfile.mkdtemp(dir=self.store.layout.tmp, prefix=scratch_prefix("removing"))
            )
            os.rename(final, doomed / "fs")
        shutil.rmtree(doomed, ignore_errors=True)

    def __iter__(self) -> Iterator[str]:
        if not self.directory.exists():
            return
        for entry in self.directory.iterdir():
            if len(entry.name) == 64 and entry.is_dir():
                yield "sha256:" + entry.name

    def disk_usage(self, chain_id: str) -> int:
        """Bytes used by a snapshot's files (each inode counted once)."""
        seen: set[int] = set()
        total = 0
        for root, dirs, files in os.walk(self.path(chain_id)):
            for name in files + dirs:
                info = os.lstat(os.path.join(root, name))
                if info.st_ino in seen:
                    continue
                seen.add(info.st_ino)
                total += info.st_blocks * 512
        return total
