"""A stage's filesystem and history as the build goes, and the image it becomes.

A `BuildState` is the base's layers and history plus one layer (and history
entry) per filesystem step and one history entry per metadata step, and the
cache key of the last step. Its overlay lower dirs are the snapshots of its
chain ids: a step's upper dir becomes the snapshot of the new chain id once
its layer is stored (the way containerd's overlay snapshotter commits), and
a cached layer whose snapshot is gone is unpacked again from its blob.

The image is assembled as BuildKit's exporter does it: history entries
without a time take their neighbour layer's, the image's `created` is the
last entry's, so a build that is all cache hits gives the same image id.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from runtime.build.image_config import ImageConfig
from runtime.images.creation import LayerBlob, create_image
from runtime.images.imagestore import Image, ImageStore
from runtime.images.manifests import host
from runtime.images.reference import Reference
from runtime.layers.snapshots import chain_ids

HISTORY_COMMENT = "buildkit.dockerfile.v0"
Platform = tuple[str, str, str]


@dataclass(frozen=True)
class BuildState:
    """Layers, chain ids and history of a stage after some step, and that step's cache key."""

    key: str
    platform: Platform
    layers: tuple[LayerBlob, ...] = ()
    chains: tuple[str, ...] = ()
    history: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_image(cls, image: Image, key: str) -> BuildState:
        """The state of an image used as a base (or a COPY --from source)."""
        layers = tuple(LayerBlob(layer.blob, layer.diff_id, layer.size) for layer in image.layers)
        config = image.config
        platform = (
            str(config.get("os") or host().os),
            str(config.get("architecture") or host().architecture),
            str(config.get("variant") or ""),
        )
        history = _balanced_history(list(config.get("history") or []), len(layers), image.created)
        return cls(key, platform, layers, tuple(image.chain_ids), tuple(history))

    def with_layer(self, layer: LayerBlob, entry: dict[str, Any], key: str) -> BuildState:
        """After a filesystem step."""
        chain = self.next_chain(layer.diff_id)
        return replace(
            self,
            key=key,
            layers=(*self.layers, layer),
            chains=(*self.chains, chain),
            history=(*self.history, entry),
        )

    def with_entry(self, entry: dict[str, Any] | None, key: str) -> BuildState:
        """After a metadata step (`entry` None: a step that writes no history, ONBUILD)."""
        history = self.history if entry is None else (*self.history, entry)
        return replace(self, key=key, history=history)

    def next_chain(self, diff_id: str) -> str:
        """The chain id a new layer with `diff_id` gets on top of this state."""
        return chain_ids([*(item.diff_id for item in self.layers), diff_id])[-1]


def _balanced_history(
    history: list[dict[str, Any]], layer_count: int, created: str
) -> list[dict[str, Any]]:
    """A base's history with one non-empty entry per layer, as BuildKit's exporter fixes it."""
    counted = sum(1 for entry in history if not entry.get("empty_layer"))
    if counted > layer_count:
        fixed, seen = [], 0
        for entry in history:
            if seen >= layer_count and not entry.get("empty_layer"):
                entry = {**entry, "empty_layer": True}
            if not entry.get("empty_layer"):
                seen += 1
            fixed.append(entry)
        return fixed
    missing = [{"created": created, "created_by": ""}] * (layer_count - counted)
    return [*history, *missing]


def rfc3339_nano(nanoseconds: int | None = None) -> str:
    """A UTC time as Go's RFC3339Nano writes it (what BuildKit puts in `created`)."""
    value = time.time_ns() if nanoseconds is None else nanoseconds
    seconds, fraction = divmod(value, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = f"{fraction:09d}".rstrip("0")
    return f"{text}.{digits}Z" if digits else f"{text}Z"


def history_entry(created_by: str, created: str | None, empty_layer: bool) -> dict[str, Any]:
    """A history entry as BuildKit writes it for a Dockerfile step."""
    entry: dict[str, Any] = {}
    if created is not None:
        entry["created"] = created
    entry["created_by"] = created_by
    entry["comment"] = HISTORY_COMMENT
    if empty_layer:
        entry["empty_layer"] = True
    return entry


def dated_history(history: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Give entries without `created` their neighbour's time (BuildKit's exporter rule)."""
    created: str | None = None
    missing = False
    for entry in history:
        if entry.get("created"):
            created = entry["created"]
            if missing:
                break
        else:
            missing = True
    result = []
    missing = False
    for entry in history:
        if entry.get("created"):
            if missing:
                created = entry["created"]
            result.append(entry)
            continue
        missing = True
        dated: dict[str, Any] = {}
        if created is not None:
            dated["created"] = created
        dated.update(entry)
        result.append(dated)
    return result


def lower_dirs(images: ImageStore, state: BuildState) -> list[Path]:
    """The snapshot dirs of a state, lowest first, unpacking any that are missing."""
    store = images.store
    for layer, chain in zip(state.layers, state.chains, strict=True):
        images.snapshots.ensure(chain, layer.diff_id, partial(store.blobs.open, layer.blob.digest))
    return images.snapshots.lower_dirs(state.chains)


def commit_upper(images: ImageStore, chain_id: str, upper: Path) -> None:
    """Make a step's upper dir the snapshot of `chain_id` (unless one is there already)."""
    final = images.snapshots.path(chain_id)
    with images.store.lock(f"snapshot-{final.name}"):
        if final.is_dir():
            return
        os.chmod(upper, 0o755)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(upper, final)


def assemble_image(
    images: ImageStore,
    state: BuildState,
    config: ImageConfig,
    tags: list[Reference],
) -> Image:
    """Register the image of a stage's final state, tagged in the same transaction."""
    history = dated_history(state.history)
    created = next((e["created"] for e in reversed(history) if e.get("created")), None)
    return create_image(
        images,
        parent=None,
        layers=state.layers,
        config=config.to_oci(),
        history=history,
        tags=tags,
        author=config.author or None,
        created=created,
        platform=state.platform,
    )
