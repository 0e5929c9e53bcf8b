"""Pull and push against Debian's docker-registry, with skopeo and umoci as the other side."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.images.creation import create_image, store_layer
from runtime.images.errors import RegistryError
from runtime.images.imagestore import ImageStore
from runtime.images.pull import pull_image, pull_images
from runtime.images.push import push_image
from runtime.images.reference import parse_reference
from runtime.layers.errors import LayerError
from runtime.store import Layout, Store
from tests.support.images import write_busybox_layout, write_oci_layout
from tests.support.layers import LayerBuilder, overlay_view, tree
from tests.support.registry import RegistryServer
from tests.support.stores import assert_store_empty, make_store, skopeo


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "engine")


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryServer]:
    # Relative Location headers, as distribution sends with `relativeurls`.
    server = RegistryServer(tmp_path / "registry", relative_urls=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def busybox_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_busybox_layout(tmp_path_factory.mktemp("layout") / "busybox", "v1")


def skopeo_push(layout: Path, tag: str, destination: str) -> None:
    skopeo(
        "copy",
        "--quiet",
        "--preserve-digests",
        "--dest-tls-verify=false",
        f"oci:{layout}:{tag}",
        f"docker://{destination}",
    )


def test_pull_what_skopeo_pushed(
    store: Store, registry: RegistryServer, busybox_layout: Path
) -> None:
    name = f"{registry.host}/tests/busybox:v1"
    skopeo_push(busybox_layout, "v1", name)
    remote = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{name}"))
    result = pull_image(store, name)
    image = result.image
    assert result.downloaded
    assert image.repo_tags == [name]
    assert image.repo_digests == [f"{registry.host}/tests/busybox@{remote['Digest']}"]
    assert image.diff_ids == remote["Layers"] or len(image.diff_ids) == 1
    assert image.runtime_config["Cmd"] == ["sh"]
    [lower] = ImageStore(store).lower_dirs(image)
    assert (lower / "bin/busybox").read_bytes() == Path("/bin/busybox").read_bytes()
    again = pull_image(store, name)
    assert not again.downloaded and again.image.id == image.id
    assert ImageStore(store).get(f"{registry.host}/tests/busybox@{remote['Digest']}").id == image.id


def test_pull_docker_schema2(store: Store, registry: RegistryServer, busybox_layout: Path) -> None:
    name = f"{registry.host}/tests/schema2:v1"
    skopeo(
        "copy",
        "--quiet",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        f"oci:{busybox_layout}:v1",
        f"docker://{name}",
    )
    raw = json.loads(skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{name}"))
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    image = pull_image(store, name).image
    assert image.manifest.media_type == raw["mediaType"]
    assert image.layers[0].blob.media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    assert (ImageStore(store).lower_dirs(image)[0] / "bin/busybox").is_file()
    # What was pulled as schema 2 is pushed back byte for byte.
    copy = f"{registry.host}/tests/schema2-copy:v1"
    ImageStore(store).tag(image.id, parse_reference(copy))
    assert push_image(store, copy).digest == pull_image(store, name).digest


def test_gzip_zstd_and_plain_layers(store: Store, registry: RegistryServer, tmp_path: Path) -> None:
    layers = [
        LayerBuilder().file(f"layer{i}", f"content {i}".encode() * 1000).build() for i in range(3)
    ]
    layout = write_oci_layout(
        tmp_path / "mixed", layers, {"Cmd": ["sh"]}, "mixed", ["gzip", "zstd", "none"]
    )
    name = f"{registry.host}/tests/mixed:1"
    skopeo_push(layout, "mixed", name)
    image = pull_image(store, name).image
    assert [layer.blob.media_type.rsplit(".", 1)[-1] for layer in image.layers] == [
        "tar+gzip",
        "tar+zstd",
        "tar",
    ]
    with overlay_view(ImageStore(store).lower_dirs(image), tmp_path / "merged") as merged:
        assert sorted(os.listdir(merged)) == ["layer0", "layer1", "layer2"]
        assert (merged / "layer1").read_bytes() == b"content 1" * 1000


def _layered_image(store: Store, name: str) -> str:
    """busybox plus a layer of files with varied owners, modes, links and a whiteout."""
    images = ImageStore(store)
    base = images.get("busybox:latest")
    extra = (
        LayerBuilder()
        .dir("srv", mode=0o750, uid=1000, gid=1000)
        .file("srv/app.py", b"print('hi')\n" * 100, mode=0o640, uid=1000, gid=1000)
        .file("srv/run", b"#!/bin/sh\n", mode=0o4755)
        .hardlink("srv/run2", "srv/run")
        .symlink("srv/current", "app.py")
        .file("etc/.wh.group")
        .file("big", os.urandom(3 << 20))
        .build()
    )
    layer = store_layer(store, lambda sink: sink.write(extra))
    image = create_image(
        images,
        parent=base,
        layers=[layer],
        config={**base.runtime_config, "WorkingDir": "/srv"},
        history=[{"created_by": "test layer"}],
        tags=[parse_reference(name)],
    )
    return image.id


def test_push_is_read_back_by_skopeo_and_umoci(
    store: Store, registry: RegistryServer, tmp_path: Path
) -> None:
    from tests.support.images import busybox_image

    busybox_image(store)
    name = f"{registry.host}/tests/layered:1"
    image_id = _layered_image(store, name)
    result = push_image(store, name, monolithic_limit=1 << 20, chunk_size=1 << 20)
    assert set(result.blobs.values()) == {"uploaded"}
    remote = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{name}"))
    assert remote["Digest"] == result.digest
    config = json.loads(skopeo("inspect", "--config", "--tls-verify=false", f"docker://{name}"))
    assert config["config"]["WorkingDir"] == "/srv"
    copy = tmp_path / "copy"
    skopeo("copy", "--quiet", "--src-tls-verify=false", f"docker://{name}", f"oci:{copy}:1")
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--image", f"{copy}:1", str(bundle)], check=True, capture_output=True
    )
    images = ImageStore(store)
    with overlay_view(images.lower_dirs(image_id), tmp_path / "merged") as merged:
        ours = tree(merged)
    theirs = tree(bundle / "rootfs")
    assert ours == theirs
    assert "etc/group" not in ours and ours["srv/run"][1] == 0o4755
    # The same blobs under another repository are mounted, and a second push uploads nothing.
    other = f"{registry.host}/elsewhere/layered:1"
    images.tag(image_id, parse_reference(other))
    assert set(push_image(store, other).blobs.values()) == {"mounted"}
    assert set(push_image(store, name).blobs.values()) == {"exists"}


def test_manifest_list_selects_the_platform(
    store: Store, registry: RegistryServer, tmp_path: Path
) -> None:
    layout = tmp_path / "multi"
    amd = write_oci_layout(
        layout, [LayerBuilder().file("arch", b"amd64").build()], {"Cmd": ["amd"]}, "x"
    )
    manifests = json.loads((amd / "index.json").read_text())["manifests"]
    write_oci_layout(layout, [LayerBuilder().file("arch", b"arm64").build()], {"Cmd": ["arm"]}, "y")
    arm_manifest = json.loads((layout / "index.json").read_text())["manifests"][0]
    arm_config_digest = json.loads(
        (layout / "blobs/sha256" / arm_manifest["digest"][7:]).read_bytes()
    )["config"]["digest"]
    config_path = layout / "blobs/sha256" / arm_config_digest[7:]
    config = json.loads(config_path.read_text())
    config["architecture"] = "arm64"
    config["variant"] = "v8"
    config_path.write_text(json.dumps(config))
    # Re-point the arm64 manifest at the edited config.
    import hashlib

    data = config_path.read_bytes()
    new_digest = hashlib.sha256(data).hexdigest()
    config_path.rename(layout / "blobs/sha256" / new_digest)
    manifest = json.loads((layout / "blobs/sha256" / arm_manifest["digest"][7:]).read_bytes())
    manifest["config"].update(digest=f"sha256:{new_digest}", size=len(data))
    manifest_bytes = json.dumps(manifest).encode()
    manifest_digest = hashlib.sha256(manifest_bytes).hexdigest()
    (layout / "blobs/sha256" / manifest_digest).write_bytes(manifest_bytes)
    attestation = {
        **manifests[0],
        "platform": {"os": "unknown", "architecture": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
    }
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            attestation,
            {**manifests[0], "platform": {"os": "linux", "architecture": "amd64"}},
            {
                "mediaType": manifest["mediaType"],
                "digest": f"sha256:{manifest_digest}",
                "size": len(manifest_bytes),
                "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
            },
        ],
    }
    index_bytes = json.dumps(index).encode()
    index_digest = hashlib.sha256(index_bytes).hexdigest()
    (layout / "blobs/sha256" / index_digest).write_bytes(index_bytes)
    outer = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": index["mediaType"],
                "digest": f"sha256:{index_digest}",
                "size": len(index_bytes),
                "annotations": {"org.opencontainers.image.ref.name": "multi"},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(outer))
    name = f"{registry.host}/tests/multi:latest"
    skopeo(
        "copy",
        "--quiet",
        "--all",
        "--dest-tls-verify=false",
        f"oci:{layout}:multi",
        f"docker://{name}",
    )
    native = pull_image(store, name, platform="linux/amd64")
    assert native.image.runtime_config["Cmd"] == ["amd"]
    assert native.digest == f"sha256:{index_digest}"
    arm = pull_image(store, name, platform="linux/arm64")
    assert arm.image.runtime_config["Cmd"] == ["arm"]
    assert (ImageStore(store).lower_dirs(arm.image)[0] / "arch").read_bytes() == b"arm64"
    with pytest.raises(RegistryError, match="no image for platform linux/s390x"):
        pull_image(store, name, platform="linux/s390x")


@pytest.mark.parametrize("damage", ["digest-mismatch", "truncated"])
def test_damaged_blob_leaves_nothing(
    damage: str, store: Store, registry: RegistryServer, busybox_layout: Path
) -> None:
    name = f"{registry.host}/tests/damaged:v1"
    skopeo_push(busybox_layout, "v1", name)
    manifest = json.loads(skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{name}"))
    data_file = registry.blob_data(manifest["layers"][0]["digest"])
    content = data_file.read_bytes()
    if damage == "truncated":
        data_file.write_bytes(content[: len(content) // 2])
        message = "truncated"
    else:
        data_file.write_bytes(bytes(b ^ 0xFF for b in content[:64]) + content[64:])
        message = "digest mismatch"
    with pytest.raises(RegistryError, match=message):
        pull_image(store, name)
    assert_store_empty(store)


def test_hostile_layer_in_a_pull_leaves_nothing(
    store: Store, registry: RegistryServer, tmp_path: Path
) -> None:
    good = LayerBuilder().file("fine", b"ok").build()
    evil = LayerBuilder().dir("a").file("a/.wh...").build()
    layout = write_oci_layout(tmp_path / "evil", [good, evil], {"Cmd": ["sh"]}, "evil")
    name = f"{registry.host}/tests/evil:1"
    skopeo_push(layout, "evil", name)
    with pytest.raises(LayerError, match=r"whiteout of '\.\.'"):
        pull_image(store, name)
    assert_store_empty(store)


def test_pull_images_in_parallel(store: Store, registry: RegistryServer, tmp_path: Path) -> None:
    names = []
    for index in range(3):
        layer = LayerBuilder().file("id", str(index).encode()).build()
        layout = write_oci_layout(tmp_path / f"img{index}", [layer], {"Cmd": ["sh"]}, "t")
        names.append(f"{registry.host}/tests/many{index}:t")
        skopeo_push(layout, "t", names[-1])
    results = pull_images(store, names)
    assert [r.reference.tagged_name for r in results] == names
    assert len(ImageStore(store).all()) == 3


def test_unreachable_registry_is_a_clear_error(store: Store) -> None:
    with pytest.raises(RegistryError, match=r"cannot reach 127\.0\.0\.1:1: connection refused"):
        pull_image(store, "127.0.0.1:1/nothing:here")
    with pytest.raises(RegistryError, match=r"pycompose image bootstrap debian:bookworm"):
        pull_image(store, "debian:bookworm")
    assert_store_empty(store)


def test_missing_tag_is_a_clear_error(store: Store, registry: RegistryServer) -> None:
    with pytest.raises(RegistryError, match="not found: manifest unknown"):
        pull_image(store, f"{registry.host}/nobody/here:v9")


def _pull_in_child(
    root: str, run: str, name: str, start: multiprocessing.synchronize.Event
) -> None:
    start.wait(10)
    pull_image(Store(Layout(root=Path(root), run_root=Path(run))), name)


def test_concurrent_pulls_share_the_work(
    tmp_path: Path, registry: RegistryServer, busybox_layout: Path
) -> None:
    from tests.support.images import busybox_image

    seed = make_store(tmp_path / "seed")
    busybox_image(seed)
    name = f"{registry.host}/tests/concurrent:1"
    _layered_image(seed, name)
    push_image(seed, name)
    store = make_store(tmp_path / "shared")
    context = multiprocessing.get_context("fork")
    start = context.Event()
    children = [
        context.Process(
            target=_pull_in_child,
            args=(str(store.layout.root), str(store.layout.run_root), name, start),
        )
        for _ in range(3)
    ]
    for child in children:
        child.start()
    start.set()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0, 0]
    images = ImageStore(store)
    [image] = images.all()
    assert len(list(store.blobs)) == 2 + len(image.layers)  # manifest, config, layers
    assert sorted(p.name for p in store.layout.snapshots.iterdir()) == sorted(
        c[7:] for c in image.chain_ids
    )
    assert list(store.layout.tmp.iterdir()) == []
