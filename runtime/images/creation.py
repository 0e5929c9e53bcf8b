"""Make images locally: store a layer tar as a blob, and assemble an image from layers.

`create_image` is what `build`, `commit`, `import` and `bootstrap` share: a
parent image (or none), new layers, a runtime config and history entries
become an OCI config, an OCI manifest and a registered, tagged image whose
snapshots are unpacked.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from runtime.images.errors import ImageError
from runtime.images.imagestore import Descriptor, Image, ImageStore, LayerRecord, NewImage
from runtime.images.manifests import OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, host, manifest_bytes
from runtime.images.reference import Reference
from runtime.layers.compression import CHUNK, gzip_writer, open_decompressed
from runtime.layers.diff import HashingWriter, LayerDiff, diff_upper
from runtime.layers.snapshots import chain_ids
from runtime.store import FileLock, Store

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class LayerBlob:
    """A layer stored as a gzip blob, with its uncompressed digest (and file bytes, if known)."""

    blob: Descriptor
    diff_id: str
    content_size: int = 0


def now_rfc3339() -> str:
    """The current time as image configs write it (UTC, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def images_lock(store: Store, *, exclusive: bool = False) -> FileLock:
    """Taken shared by whatever adds blobs or snapshots, exclusive by garbage collection."""
    return store.lock("images", shared=not exclusive)


def store_layer(
    store: Store, write_tar: Callable[[BinaryIO], object], *, level: int = 6
) -> LayerBlob:
    """Run `write_tar` on a stream that gzips into a new blob; return the blob and diff id.

    Hold `images_lock(store)` from before this call until `create_image` has
    registered the image, or a garbage collection in between may take the blob back.
    """
    with store.blobs.writer() as blob:
        compressor = gzip_writer(blob, level)  # type: ignore[arg-type]
        tar_sink = HashingWriter(compressor)
        write_tar(tar_sink)  # type: ignore[arg-type]
        compressor.close()
        digest = blob.commit()
        return LayerBlob(Descriptor(OCI_LAYER_GZIP, digest, blob.size), tar_sink.digest)


def store_layer_from_tar(store: Store, source: BinaryIO, *, level: int = 6) -> LayerBlob:
    """Store a (plain, gzip or zstd) tar as a gzip layer blob."""

    def copy(sink: BinaryIO) -> None:
        shutil.copyfileobj(open_decompressed(source), sink, CHUNK)

    return store_layer(store, copy, level=level)


def layer_from_upper(
    store: Store,
    upper: Path,
    *,
    exclude: Collection[str] = (),
    exclude_contents: Collection[str] = (),
    level: int = 6,
) -> LayerBlob:
    """Diff an overlay upper dir into a new gzip layer blob (for `commit` and build steps).

    `exclude` drops paths (init-layer files such as /etc/hosts); `exclude_contents`
    keeps a directory but none of what is in it (volume mount points); `level`
    is the gzip level.
    """
    diffs: list[LayerDiff] = []
    layer = store_layer(
        store,
        lambda sink: diffs.append(
            diff_upper(upper, sink, exclude=exclude, exclude_contents=exclude_contents)
        ),
        level=level,
    )
    return replace(layer, content_size=diffs[0].content_size)


def create_image(
    images: ImageStore,
    *,
    parent: Image | None,
    layers: Sequence[LayerBlob],
    config: dict[str, Any] | None = None,
    history: Sequence[dict[str, Any]] = (),
    tags: Sequence[Reference] = (),
    author: str | None = None,
    created: str | None = None,
    platform: tuple[str, str, str] | None = None,
) -> Image:
    """Register a new image: `parent`'s layers plus `layers`, with `config` as its runtime config.

    `history` entries are appended to the parent's (one per new layer unless
    `empty_layer`); when none are given, one plain entry per layer is made.
    The blobs of `layers` must already be in the store.
    """
    store = images.store
    created = created or now_rfc3339()
    for layer in layers:
        if not store.blobs.exists(layer.blob.digest):
            raise ImageError(
                f"layer blob {layer.blob.digest} is gone (collected before the image was made)"
            )
    base_config = dict(parent.config) if parent else {}
    diff_ids = [*(parent.diff_ids if parent else []), *(layer.diff_id for layer in layers)]
    chains = chain_ids(diff_ids)
    new_history = list(history) or [{"created": created, "created_by": ""} for _ in layers]
    if sum(1 for entry in new_history if not entry.get("empty_layer")) != len(layers):
        raise ImageError(
            "the history must have one entry per new layer (others marked empty_layer)"
        )
    os_name, architecture, variant = platform or (
        base_config.get("os") or host().os,
        base_config.get("architecture") or host().architecture,
        base_config.get("variant") or host().variant,
    )
    document: dict[str, Any] = {
        "architecture": architecture,
        "os": os_name,
        "created": created,
        "config": config if config is not None else dict(base_config.get("config") or {}),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [*(base_config.get("history") or []), *new_history],
    }
    if variant:
        document["variant"] = variant
    if author:
        document["author"] = author
    config_bytes = json.dumps(document, separators=(",", ":")).encode()
    parent_layers = list(parent.layers) if parent else []
    records = parent_layers + [
        LayerRecord(layer.diff_id, chains[len(parent_layers) + i], layer.blob, layer.content_size)
        for i, layer in enumerate(layers)
    ]
    with images_lock(store):
        config_digest = store.blobs.put(config_bytes)
        config_descriptor = Descriptor(OCI_CONFIG, config_digest, len(config_bytes))
        manifest = manifest_bytes(config_descriptor, [record.blob for record in records])
        manifest_digest = store.blobs.put(manifest)
        sized = []
        for record in records:
            applied = images.snapshots.ensure(
                record.chain_id, record.diff_id, partial(store.blobs.open, record.blob.digest)
            )
            size = applied.content_size if applied else record.size
            sized.append(LayerRecord(record.diff_id, record.chain_id, record.blob, size))
        images.register(
            NewImage(
                config_digest=config_digest,
                config_size=len(config_bytes),
                config=document,
                manifest=Descriptor(OCI_MANIFEST, manifest_digest, len(manifest)),
                layers=sized,
                parent=parent.id if parent else None,
            ),
            tags=tags,
        )
    return images.load(config_digest)


def default_config(env_path: bool = True) -> dict[str, Any]:
    """The runtime config of a fresh base image (PATH set, as Docker's importer does)."""
    return {"Env": [f"PATH={DEFAULT_PATH}"]} if env_path else {}
