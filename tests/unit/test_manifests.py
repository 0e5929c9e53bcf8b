"""Manifests and indexes: parsing, platform selection, attestation entries skipped."""

from __future__ import annotations

import json

import pytest

from runtime.images.errors import RegistryError
from runtime.images.manifests import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    Index,
    Manifest,
    Platform,
    parse_manifest,
    parse_platform,
    select_platform,
)


def _digest(char: str) -> str:
    return "sha256:" + char * 64


def _entry(char: str, os_: str, arch: str, variant: str | None = None, **notes: str) -> dict:
    platform = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
    entry = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _digest(char),
        "size": 10,
        "platform": platform,
    }
    if notes:
        entry["annotations"] = notes
    return entry


INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            _entry(
                "0", "unknown", "unknown", **{"vnd.docker.reference.type": "attestation-manifest"}
            ),
            _entry("1", "linux", "amd64"),
            _entry("2", "linux", "arm64", "v8"),
            _entry("3", "linux", "arm", "v7"),
            _entry("4", "linux", "arm", "v6"),
            _entry("5", "windows", "amd64"),
        ],
    }
).encode()


def test_index_and_platform_selection() -> None:
    index = parse_manifest(INDEX)
    assert isinstance(index, Index)
    assert select_platform(index, Platform("linux", "amd64")).digest == _digest("1")
    assert select_platform(index, parse_platform("linux/arm64")).digest == _digest("2")
    assert select_platform(index, parse_platform("linux/arm/v6")).digest == _digest("4")
    assert select_platform(index, parse_platform("windows/amd64")).digest == _digest("5")
    with pytest.raises(RegistryError, match=r"no image for platform linux/s390x .*linux/amd64"):
        select_platform(index, parse_platform("linux/s390x"))


def test_attestations_alone_do_not_match() -> None:
    only = json.dumps(
        {"schemaVersion": 2, "manifests": [_entry("0", "unknown", "unknown")]}
    ).encode()
    index = parse_manifest(only, OCI_INDEX)
    assert isinstance(index, Index)
    with pytest.raises(RegistryError, match="available: none"):
        select_platform(index, Platform("linux", "amd64"))


def test_schema2_manifest_uses_header_type_when_missing() -> None:
    document = {
        "schemaVersion": 2,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": _digest("c"),
            "size": 5,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "digest": _digest("d"),
                "size": 7,
            }
        ],
    }
    manifest = parse_manifest(json.dumps(document).encode(), DOCKER_MANIFEST + "; charset=utf-8")
    assert isinstance(manifest, Manifest)
    assert manifest.media_type == DOCKER_MANIFEST
    assert [layer.size for layer in manifest.layers] == [7]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"schemaVersion": 1, "fsLayers": []}, "schema 1"),
        ({"schemaVersion": 2, "config": {"digest": "md5:x", "size": 1}, "layers": []}, "digest"),
        (
            {
                "schemaVersion": 2,
                "config": {"digest": _digest("a"), "size": 1},
                "layers": [{"mediaType": "text/html", "digest": _digest("b"), "size": 1}],
            },
            "layer media type",
        ),
        ([], "not a JSON object"),
    ],
)
def test_bad_manifests(document: object, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        parse_manifest(json.dumps(document).encode())


def test_parse_platform_defaults() -> None:
    assert parse_platform("arm64") == Platform("linux", "arm64", "v8")
    assert parse_platform("linux/x86_64") == Platform("linux", "amd64")
    assert parse_platform(None).os == "linux"
