"""Test images made here, with no hub: a busybox image and a cached Debian bootstrap.

- `write_busybox_layout(dir)`: an OCI image layout of a busybox-static rootfs,
  written by this module alone (independent of the engine's own writers), for
  skopeo to push or the engine to load.
- `busybox_image(store)`: the same rootfs imported into an engine store.
- `debian_rootfs_tar(suite, variant)`: an mmdebstrap rootfs tarball, cached
  outside the clone under /var/cache/pycompose-tests (keyed by suite and
  variant), made through the machine's own network.
- `debian_image(store)`: that tarball made into `debian:<suite>` by the
  engine's bootstrap code (with `trust_host`, plus this machine's CA bundle).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import zstandard

from tests.support.namespaces import in_host_network
from tests.support.rootfs import make_busybox_rootfs

CACHE_DIR = Path(os.environ.get("PYCOMPOSE_TEST_CACHE", "/var/cache/pycompose-tests"))
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUSYBOX_CONFIG: dict[str, Any] = {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"],
}


def rootfs_tar_bytes(rootfs: Path) -> bytes:
    """A tar of `rootfs` with root ownership, sorted, mtimes kept."""
    buffer = io.BytesIO()

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(rootfs.rglob("*")):
            archive.add(
                path, arcname=str(path.relative_to(rootfs)), recursive=False, filter=owned_by_root
            )
    return buffer.getvalue()


def _put_blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


LAYER_COMPRESSIONS = {
    "gzip": (
        "application/vnd.oci.image.layer.v1.tar+gzip",
        lambda tar: gzip.compress(tar, mtime=0),
    ),
    "zstd": (
        "application/vnd.oci.image.layer.v1.tar+zstd",
        lambda tar: zstandard.ZstdCompressor().compress(tar),
    ),
    "none": ("application/vnd.oci.image.layer.v1.tar", lambda tar: tar),
}


def write_oci_layout(
    layout: Path,
    layers: list[bytes],
    config: dict[str, Any],
    tag: str = "latest",
    compressions: list[str] | None = None,
) -> Path:
    """An OCI image layout at `layout` with one image of the given (uncompressed) layer tars.

    Layers are gzipped unless `compressions` names, per layer, `gzip`, `zstd` or `none`.
    """
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    descriptors, diff_ids = [], []
    for tar, compression in zip(layers, compressions or ["gzip"] * len(layers), strict=True):
        media_type, compress = LAYER_COMPRESSIONS[compression]
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        descriptors.append({"mediaType": media_type, **_put_blob(layout, compress(tar))})
    document = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "tests"} for _ in layers],
    }
    config_blob = _put_blob(layout, json.dumps(document).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_blob},
        "layers": descriptors,
    }
    manifest_blob = _put_blob(layout, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **manifest_blob,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return layout


def write_busybox_layout(layout: Path, tag: str = "latest") -> Path:
    """An OCI layout holding a one-layer busybox image tagged `tag`."""
    with tempfile.TemporaryDirectory(prefix="busybox-rootfs-") as scratch:
        rootfs = make_busybox_rootfs(Path(scratch) / "rootfs")
        tar = rootfs_tar_bytes(rootfs)
    return write_oci_layout(layout, [tar], BUSYBOX_CONFIG, tag)


def busybox_image(store: Any, name: str = "busybox:latest") -> Any:
    """Import a busybox rootfs into `store` as `name`; returns the engine's Image."""
    from runtime.images.archives.importer import import_rootfs

    with tempfile.TemporaryDirectory(prefix="busybox-rootfs-") as scratch:
        rootfs = make_busybox_rootfs(Path(scratch) / "rootfs")
        tar = rootfs_tar_bytes(rootfs)
    return import_rootfs(store, io.BytesIO(tar), tags=[name], config=dict(BUSYBOX_CONFIG))


def debian_rootfs_tar(
    suite: str = "bookworm", variant: str = "minbase", slim: bool = False
) -> Path:
    """A cached mmdebstrap rootfs tarball of Debian `suite` (built once per machine)."""
    from runtime.images.bootstrap import mmdebstrap_argv
    from runtime.store.locks import FileLock

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    name = f"debian-{suite}-{variant}{'-slim' if slim else ''}.tar"
    target = CACHE_DIR / name
    with FileLock(CACHE_DIR / f"{name}.lock"):
        if target.exists():
            return target
        partial = CACHE_DIR / f".{name}.partial"
        argv = mmdebstrap_argv(suite, partial, variant=variant, slim=slim)
        subprocess.run(in_host_network(argv), check=True, capture_output=True)
        os.rename(partial, target)
    return target


def debian_image(
    store: Any,
    suite: str = "bookworm",
    slim: bool = False,
    *,
    name: str | None = None,
    trust_host: bool = False,
) -> Any:
    """`debian:<suite>[-slim]` (or `name`) in `store`, from the cached bootstrap tarball.

    With `trust_host`, the image trusts this machine's CA bundle, as `image bootstrap
    --ca-certificates` makes it (a build step reaching PyPI through a TLS-inspecting
    proxy needs that).
    """
    from runtime.images.bootstrap import bootstrap_from_rootfs
    from runtime.images.certificates import read_certificates

    bundle = read_certificates([HOST_CA_BUNDLE]) if trust_host and HOST_CA_BUNDLE.exists() else None
    tar = debian_rootfs_tar(suite, slim=slim)
    with open(tar, "rb") as source:
        return bootstrap_from_rootfs(
            store, source, suite=suite, slim=slim, name=name, ca_certificates=bundle
        )


def copy_layout(source: Path, target: Path) -> Path:
    """A copy of an OCI layout directory (tests corrupt copies, never the original)."""
    shutil.copytree(source, target)
    return target
