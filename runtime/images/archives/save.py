"""`image save`: one tarball that `docker load` reads (manifest.json) and that is also an
OCI image layout (oci-layout, index.json, blobs/sha256/...), as Docker 25+ writes.

Blobs are written byte for byte from the store, once each however many images
share them; the output file appears only when complete.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from runtime.images.archives.load import CONTAINERD_NAME, REF_NAME
from runtime.images.atomicfile import write_atomically
from runtime.images.errors import ImageError
from runtime.images.imagestore import Image, ImageStore
from runtime.images.manifests import OCI_INDEX, descriptor_json
from runtime.images.reference import Reference, looks_like_id, parse_reference
from runtime.store import Store


def _select(images: ImageStore, names: Sequence[str]) -> list[tuple[Image, list[Reference]]]:
    """The images to save, with the tags each is saved under (in the order asked)."""
    chosen: dict[str, tuple[Image, list[Reference]]] = {}
    for name in names:
        image = images.get(name)
        entry = chosen.setdefault(image.id, (image, []))
        if looks_like_id(name) or image.id.startswith("sha256:" + name.removeprefix("sha256:")):
            if not entry[1]:
                entry[1].extend(parse_reference(tag) for tag in image.repo_tags)
            continue
        reference = parse_reference(name)
        if reference.tag and reference not in entry[1]:
            entry[1].append(reference)
    return list(chosen.values())


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def _add_directory(archive: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    archive.addfile(info)


def write_archive(store: Store, names: Sequence[str], output: BinaryIO) -> None:
    """Write the images `names` (references or ids) as a Docker + OCI archive to `output`."""
    if not names:
        raise ImageError("name at least one image to save")
    images = ImageStore(store)
    selected = _select(images, names)
    index_entries: list[dict[str, Any]] = []
    docker_entries: list[dict[str, Any]] = []
    blobs: list[str] = []
    for image, tags in selected:
        for digest in [
            image.manifest.digest,
            image.id,
            *(layer.blob.digest for layer in image.layers),
        ]:
            if digest not in blobs:
                blobs.append(digest)
        named: list[Reference | None] = list(tags) or [None]
        for tag in named:
            notes = {CONTAINERD_NAME: tag.tagged_name, REF_NAME: tag.tag} if tag else {}
            entry = descriptor_json(image.manifest)
            if notes:
                entry["annotations"] = notes
            index_entries.append(entry)
        docker_entries.append(
            {
                "Config": f"blobs/sha256/{image.id[7:]}",
                "RepoTags": [tag.familiar for tag in tags],
                "Layers": [f"blobs/sha256/{layer.blob.digest[7:]}" for layer in image.layers],
            }
        )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_entries}
    with tarfile.open(fileobj=output, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        _add_bytes(archive, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add_directory(archive, "blobs")
        _add_directory(archive, "blobs/sha256")
        for digest in blobs:
            info = tarfile.TarInfo(f"blobs/sha256/{digest[7:]}")
            info.size = store.blobs.size(digest)
            info.mode = 0o644
            with store.blobs.open(digest) as content:
                archive.addfile(info, content)
        _add_bytes(archive, "index.json", json.dumps(index).encode())
        _add_bytes(archive, "manifest.json", json.dumps(docker_entries).encode())


def save_images(store: Store, names: Sequence[str], path: str | Path) -> None:
    """Write the archive to `path` atomically (a temporary file renamed when complete)."""
    write_atomically(Path(path), lambda handle: write_archive(store, names, handle))
