"""`image load`: images from `docker save` archives (old `<id>/layer.tar` and new OCI-based
layouts, both described by manifest.json) and from OCI image layouts (index.json), as a
tarball or a directory.

Every blob is copied into the store verified against the digest the archive
declares (or, for Docker's uncompressed layers, the config's diff id); a
failure takes back whatever the load had added.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from runtime.errors import EngineError
from runtime.images.additions import Additions, take_back
from runtime.images.archives.reader import ArchiveReader, open_archive
from runtime.images.creation import images_lock
from runtime.images.errors import ArchiveError, InvalidReference
from runtime.images.imagestore import Descriptor, Image, ImageStore, LayerRecord, NewImage
from runtime.images.manifests import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    OCI_MANIFEST,
    Index,
    Manifest,
    host,
    manifest_bytes,
    parse_manifest,
    select_platform,
)
from runtime.images.reference import Reference, parse_reference
from runtime.layers.compression import CHUNK, detect_compression
from runtime.layers.snapshots import chain_ids
from runtime.store import Store
from runtime.store.scratch import scratch_prefix

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
_LAYER_TYPES = {"none": OCI_LAYER, "gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD}


@dataclass(frozen=True)
class LoadedImage:
    """One image an archive held, with the tags it brought."""

    image: Image
    tags: list[str]


def load_archive(
    store: Store, path: str | Path | None = None, stdin: BinaryIO | None = None
) -> list[LoadedImage]:
    """Load every image of the archive at `path` (or read from `stdin`) into `store`."""
    images = ImageStore(store)
    additions = Additions()
    store.layout.tmp.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(
            dir=store.layout.tmp, prefix=scratch_prefix("load")
        ) as scratch:
            reader = open_archive(path, stdin, Path(scratch))
            try:
                with images_lock(store):
                    if reader.exists("manifest.json"):
                        return _load_docker(store, images, reader, additions)
                    if reader.exists("index.json"):
                        return _load_oci(store, images, reader, additions)
                    raise ArchiveError(
                        "not an image archive: it has neither manifest.json (docker save) "
                        "nor index.json (OCI layout)"
                    )
            finally:
                reader.close()
    except BaseException:
        take_back(store, additions)
        raise


def _json(reader: ArchiveReader, name: str) -> Any:
    try:
        return json.loads(reader.read(name))
    except ValueError as exc:
        raise ArchiveError(f"{name} in the archive is not valid JSON") from exc


def _copy_blob(
    store: Store,
    reader: ArchiveReader,
    name: str,
    additions: Additions,
    digest: str | None = None,
    size: int | None = None,
) -> tuple[str, int, str]:
    """Copy a file of the archive into the blob store; (digest, size, compression)."""
    if digest and store.blobs.exists(digest):
        with store.blobs.open(digest) as existing:
            return digest, store.blobs.size(digest), detect_compression(existing.read(4))
    try:
        with reader.open(name) as source, store.blobs.writer(digest, size) as writer:
            head = b""
            while chunk := source.read(CHUNK):
                head = head or chunk[:4]
                writer.write(chunk)
            written = writer.commit()
    except EngineError as exc:
        raise ArchiveError(f"{name} in the archive: {exc}") from exc
    additions.blob(written)
    return written, writer.size, detect_compression(head)


def _blob_name(digest: str) -> str:
    algorithm, _, hex_ = digest.partition(":")
    return f"blobs/{algorithm}/{hex_}"


def _digest_of(name: str) -> str | None:
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "blobs" and parts[1] == "sha256" and len(parts[2]) == 64:
        return f"sha256:{parts[2]}"
    return None


def _references(names: Sequence[str]) -> list[Reference]:
    found = []
    for name in names:
        try:
            found.append(parse_reference(name))
        except InvalidReference as exc:
            raise ArchiveError(f"the archive tags an image with an invalid name {name!r}") from exc
    return found


def _unpack(
    store: Store, images: ImageStore, additions: Additions, diff_id: str, chain: str, digest: str
) -> int:
    applied = images.snapshots.ensure(chain, diff_id, partial(store.blobs.open, digest))
    if applied is None:
        row = store.db.query_one("SELECT size FROM snapshots WHERE chain_id = ?", (chain,))
        return int(row["size"]) if row else 0
    additions.snapshot(chain, applied.content_size)
    return applied.content_size


def _load_docker(
    store: Store, images: ImageStore, reader: ArchiveReader, additions: Additions
) -> list[LoadedImage]:
    entries = _json(reader, "manifest.json")
    if not isinstance(entries, list):
        raise ArchiveError("manifest.json in the archive is not a list")
    loaded = []
    for entry in entries:
        config_name = entry.get("Config") or ""
        config_digest, config_size, _ = _copy_blob(
            store, reader, config_name, additions, _digest_of(config_name)
        )
        config = json.loads(store.blobs.read(config_digest))
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
        layer_names = list(entry.get("Layers") or [])
        if len(diff_ids) != len(layer_names):
            raise ArchiveError(
                f"{config_name}: {len(diff_ids)} diff ids for {len(layer_names)} layers"
            )
        chains = chain_ids(diff_ids)
        layers = []
        for name, diff_id, chain in zip(layer_names, diff_ids, chains, strict=True):
            digest, size, compression = _copy_blob(store, reader, name, additions, _digest_of(name))
            if compression == "none" and digest != diff_id:
                raise ArchiveError(f"layer {name} does not match its diff id {diff_id}")
            unpacked = _unpack(store, images, additions, diff_id, chain, digest)
            layers.append(
                LayerRecord(
                    diff_id, chain, Descriptor(_LAYER_TYPES[compression], digest, size), unpacked
                )
            )
        manifest = manifest_bytes(
            Descriptor(OCI_CONFIG, config_digest, config_size), [layer.blob for layer in layers]
        )
        manifest_digest = store.blobs.put(manifest)
        tags = _references(entry.get("RepoTags") or [])
        images.register(
            NewImage(
                config_digest,
                config_size,
                config,
                Descriptor(OCI_MANIFEST, manifest_digest, len(manifest)),
                layers,
            ),
            tags=tags,
        )
        loaded.append(LoadedImage(images.load(config_digest), [str(t) for t in tags]))
    return loaded


def _load_oci(
    store: Store, images: ImageStore, reader: ArchiveReader, additions: Additions
) -> list[LoadedImage]:
    index = parse_manifest(reader.read("index.json"))
    if not isinstance(index, Index):
        raise ArchiveError("index.json of the OCI layout is not an image index")
    loaded = []
    for descriptor, _, notes in index.manifests:
        name = notes.get(CONTAINERD_NAME) or notes.get(REF_NAME) or ""
        tags = _references([name]) if ("/" in name or ":" in name) else []
        image = _load_oci_manifest(store, images, reader, additions, descriptor, tags, [])
        loaded.append(LoadedImage(image, [str(t) for t in tags]))
    return loaded


def _load_oci_manifest(
    store: Store,
    images: ImageStore,
    reader: ArchiveReader,
    additions: Additions,
    descriptor: Descriptor,
    tags: list[Reference],
    parents: list[Descriptor],
) -> Image:
    _copy_blob(
        store, reader, _blob_name(descriptor.digest), additions, descriptor.digest, descriptor.size
    )
    data = store.blobs.read(descriptor.digest)
    parsed = parse_manifest(data, descriptor.media_type)
    if isinstance(parsed, Index):
        if parents:
            raise ArchiveError("nested image indexes are not supported")
        chosen = select_platform(parsed, host())
        return _load_oci_manifest(store, images, reader, additions, chosen, tags, [descriptor])
    manifest: Manifest = parsed
    config_digest, config_size, _ = _copy_blob(
        store,
        reader,
        _blob_name(manifest.config.digest),
        additions,
        manifest.config.digest,
        manifest.config.size,
    )
    config = json.loads(store.blobs.read(config_digest))
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if len(diff_ids) != len(manifest.layers):
        raise ArchiveError(
            f"image {config_digest}: {len(diff_ids)} diff ids for {len(manifest.layers)} layers"
        )
    layers = []
    for layer, diff_id, chain in zip(manifest.layers, diff_ids, chain_ids(diff_ids), strict=True):
        _copy_blob(store, reader, _blob_name(layer.digest), additions, layer.digest, layer.size)
        unpacked = _unpack(store, images, additions, diff_id, chain, layer.digest)
        layers.append(LayerRecord(diff_id, chain, layer, unpacked))
    images.register(
        NewImage(
            config_digest,
            config_size,
            config,
            Descriptor(manifest.media_type, descriptor.digest, descriptor.size),
            layers,
            other_manifests=parents,
        ),
        tags=tags,
    )
    return images.load(config_digest)
