"""Manifests and indexes (Docker schema 2, OCI): media types, parsing, platform selection.

Manifest bytes are kept exactly as received; this module only reads them, and
writes new ones for images made locally (import, bootstrap, build, commit).
"""

from __future__ import annotations

import json
import platform as host_platform
from dataclasses import dataclass
from typing import Any

from runtime.images.errors import ImageError, RegistryError
from runtime.images.imagestore import Descriptor

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
SCHEMA1_TYPES = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_MANIFEST_LIST, OCI_INDEX)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
LAYER_TYPES = (
    DOCKER_LAYER,
    DOCKER_FOREIGN_LAYER,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
)
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"


@dataclass(frozen=True)
class Platform:
    """An os / architecture / variant triple (`linux/arm64/v8`)."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


_MACHINES = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i686": ("386", ""),
    "i386": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


def host() -> Platform:
    """The platform this machine runs."""
    machine = host_platform.machine()
    architecture, variant = _MACHINES.get(machine, (machine, ""))
    return Platform("linux", architecture, variant)


def parse_platform(text: str | None) -> Platform:
    """`linux/amd64`, `linux/arm64/v8`, `arm64` (the os defaults to linux); None is the host."""
    if not text:
        return host()
    parts = text.lower().split("/")
    if len(parts) == 1:
        parts = ["linux", *parts]
    if len(parts) > 3 or not all(parts):
        raise ImageError(f"invalid platform {text!r}: expected os/arch[/variant]")
    architecture = {"x86_64": "amd64", "aarch64": "arm64"}.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ""
    if architecture == "arm64" and not variant:
        variant = "v8"
    return Platform(parts[0], architecture, variant)


@dataclass(frozen=True)
class Manifest:
    """An image manifest: its config and its layers (lowest first)."""

    media_type: str
    config: Descriptor
    layers: list[Descriptor]


@dataclass(frozen=True)
class Index:
    """A manifest list / image index: one manifest per platform."""

    media_type: str
    manifests: list[tuple[Descriptor, Platform | None, dict[str, str]]]


def _descriptor(value: Any, where: str) -> Descriptor:
    try:
        digest, size = value["digest"], int(value["size"])
        media_type = str(value.get("mediaType") or "")
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryError(f"malformed descriptor in {where}") from exc
    if not isinstance(digest, str) or not digest.startswith("sha256:") or size < 0:
        raise RegistryError(f"unsupported or malformed digest {digest!r} in {where}")
    return Descriptor(media_type, digest, size)


def parse_manifest(data: bytes, content_type: str = "") -> Manifest | Index:
    """Parse manifest or index bytes; the JSON's own mediaType wins over the HTTP header."""
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise RegistryError(f"the manifest is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise RegistryError("the manifest is not a JSON object")
    media_type = document.get("mediaType") or content_type.split(";")[0].strip()
    if media_type in SCHEMA1_TYPES or document.get("schemaVersion") == 1:
        raise RegistryError("Docker schema 1 manifests are not supported; push the image again")
    if document.get("schemaVersion") != 2:
        raise RegistryError(f"unsupported manifest schemaVersion {document.get('schemaVersion')!r}")
    if "manifests" in document:
        entries = []
        for item in document.get("manifests") or []:
            found = item.get("platform")
            platform = (
                Platform(
                    str(found.get("os", "")),
                    str(found.get("architecture", "")),
                    str(found.get("variant", "")),
                )
                if isinstance(found, dict)
                else None
            )
            entries.append(
                (_descriptor(item, "the index"), platform, item.get("annotations") or {})
            )
        return Index(media_type or OCI_INDEX, entries)
    if "config" not in document or "layers" not in document:
        raise RegistryError(f"unsupported manifest type {media_type!r}")
    config = _descriptor(document["config"], "the manifest config")
    layers = [_descriptor(item, "the manifest layers") for item in document["layers"]]
    for layer in layers:
        if layer.media_type and layer.media_type not in LAYER_TYPES:
            raise RegistryError(f"unsupported layer media type {layer.media_type!r}")
    return Manifest(media_type or OCI_MANIFEST, config, layers)


def select_platform(index: Index, wanted: Platform) -> Descriptor:
    """The manifest of `index` for `wanted`, skipping attestation (unknown/unknown) entries."""
    candidates: list[tuple[int, Descriptor]] = []
    available: list[str] = []
    for descriptor, platform, notes in index.manifests:
        if platform is None or notes.get(ATTESTATION_ANNOTATION) == "attestation-manifest":
            continue
        if platform.os == "unknown" or platform.architecture == "unknown":
            continue
        available.append(str(platform))
        if platform.os != wanted.os or platform.architecture != wanted.architecture:
            continue
        if platform.variant == wanted.variant:
            candidates.append((0, descriptor))
        elif not platform.variant or not wanted.variant:
            candidates.append((1, descriptor))
    if not candidates:
        listing = ", ".join(sorted(set(available))) or "none"
        raise RegistryError(
            f"no image for platform {wanted} in the manifest list (available: {listing})"
        )
    candidates.sort(key=lambda item: item[0])
    return candidates[0][1]


def manifest_bytes(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """A new OCI image manifest for a locally made image."""
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": _descriptor_json(config),
        "layers": [_descriptor_json(layer) for layer in layers],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def _descriptor_json(descriptor: Descriptor) -> dict[str, Any]:
    return {
        "mediaType": descriptor.media_type,
        "digest": descriptor.digest,
        "size": descriptor.size,
    }


def descriptor_json(descriptor: Descriptor, **extra: Any) -> dict[str, Any]:
    """The JSON form of a descriptor, with extra fields (platform, annotations)."""
    return {**_descriptor_json(descriptor), **extra}
