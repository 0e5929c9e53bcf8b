"""`import --change` instructions and layer compression detection."""

from __future__ import annotations

import gzip
import io

import pytest
import zstandard

from runtime.images.archives.importer import apply_changes
from runtime.images.errors import ImageError
from runtime.layers.compression import detect_compression, open_decompressed
from runtime.layers.snapshots import chain_ids


def test_changes_edit_the_config() -> None:
    config = apply_changes(
        {"Env": ["PATH=/bin", "A=1"]},
        [
            'CMD ["bash"]',
            "ENTRYPOINT /init",
            "ENV A=2 B=3",
            "WORKDIR /srv",
            "USER app",
            "EXPOSE 80 53/udp",
            "LABEL x=y",
        ],
    )
    assert config["Cmd"] == ["bash"]
    assert config["Entrypoint"] == ["/bin/sh", "-c", "/init"]
    assert config["Env"] == ["PATH=/bin", "A=2", "B=3"]
    assert config["WorkingDir"] == "/srv" and config["User"] == "app"
    assert config["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert config["Labels"] == {"x": "y"}
    with pytest.raises(ImageError, match="does not support"):
        apply_changes({}, ["RUN true"])


@pytest.mark.parametrize("kind", ["none", "gzip", "zstd"])
def test_compression_is_detected_by_magic(kind: str) -> None:
    data = b"tar bytes " * 10000
    packed = {
        "none": data,
        "gzip": gzip.compress(data),
        "zstd": zstandard.ZstdCompressor().compress(data),
    }[kind]
    assert detect_compression(packed[:4]) == kind
    assert open_decompressed(io.BytesIO(packed)).read() == data


def test_chain_ids() -> None:
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    chains = chain_ids([a, b])
    assert chains[0] == a
    assert chains[1] == "sha256:" + __import__("hashlib").sha256(f"{a} {b}".encode()).hexdigest()
