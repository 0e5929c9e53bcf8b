"""Archives: load what skopeo writes (docker-archive, OCI layout, tar or dir), save what skopeo
reads back, import rootfs tarballs; broken archives leave nothing behind."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from runtime.images.archives.importer import import_rootfs
from runtime.images.archives.load import load_archive
from runtime.images.archives.save import save_images
from runtime.images.errors import ArchiveError
from runtime.images.imagestore import ImageStore
from runtime.images.reference import parse_reference
from runtime.store import Store
from tests.support.images import busybox_image, copy_layout, write_busybox_layout
from tests.support.layers import LayerBuilder
from tests.support.stores import assert_store_empty, make_store, skopeo


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "engine")


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_busybox_layout(tmp_path_factory.mktemp("layout") / "busybox", "v1")


def tar_directory(source: Path, target: Path) -> Path:
    with tarfile.open(target, "w") as archive:
        for path in sorted(source.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(source)), recursive=False)
    return target


def test_load_docker_archive_from_skopeo(store: Store, layout: Path, tmp_path: Path) -> None:
    archive = tmp_path / "busybox.tar"
    skopeo("copy", "--quiet", f"oci:{layout}:v1", f"docker-archive:{archive}:example/busybox:v1")
    [loaded] = load_archive(store, archive)
    assert loaded.tags == ["docker.io/example/busybox:v1"]
    image = ImageStore(store).get("example/busybox:v1")
    assert image.runtime_config["Cmd"] == ["sh"]
    assert (ImageStore(store).lower_dirs(image)[0] / "bin/busybox").is_file()


@pytest.mark.parametrize("form", ["directory", "tar"])
def test_load_oci_layout(form: str, store: Store, layout: Path, tmp_path: Path) -> None:
    named = tmp_path / "named"
    skopeo("copy", "--quiet", f"oci:{layout}:v1", f"oci:{named}:registry.example/tools/busybox:2")
    source = named if form == "directory" else tar_directory(named, tmp_path / "layout.tar")
    [loaded] = load_archive(store, source)
    assert loaded.tags == ["registry.example/tools/busybox:2"]
    bare = load_archive(make_store(tmp_path / "other"), layout)
    assert bare[0].tags == []  # a bare tag name says nothing about the repository


def test_save_is_docker_and_oci_and_loads_back(store: Store, tmp_path: Path) -> None:
    image = busybox_image(store, "busybox:1")
    ImageStore(store).tag(
        image.id,
        parse_reference("localhost:5000/me/busybox:dev"),
    )
    archive = tmp_path / "saved.tar"
    save_images(store, ["busybox:1", "localhost:5000/me/busybox:dev"], archive)
    docker = json.loads(skopeo("inspect", f"docker-archive:{archive}:busybox:1"))
    assert docker["Layers"] == image.diff_ids
    oci = json.loads(skopeo("inspect", f"oci-archive:{archive}:1"))
    assert oci["Digest"] == image.manifest.digest
    fresh = make_store(tmp_path / "fresh")
    loaded = load_archive(fresh, archive)
    assert {tag for item in loaded for tag in item.tags} == {
        "docker.io/library/busybox:1",
        "localhost:5000/me/busybox:dev",
    }
    assert ImageStore(fresh).get("busybox:1").id == image.id


def test_corrupt_blob_in_layout_leaves_nothing(store: Store, layout: Path, tmp_path: Path) -> None:
    broken = copy_layout(layout, tmp_path / "broken")
    manifest_digest = json.loads((broken / "index.json").read_text())["manifests"][0]["digest"]
    manifest = json.loads((broken / "blobs/sha256" / manifest_digest[7:]).read_text())
    layer = broken / "blobs/sha256" / manifest["layers"][0]["digest"][7:]
    layer.write_bytes(layer.read_bytes()[:-100] + b"\0" * 100)
    with pytest.raises(ArchiveError, match="digest mismatch"):
        load_archive(store, broken)
    assert_store_empty(store)


def test_hostile_archive_names_are_refused(store: Store, tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as archive:
        data = json.dumps([{"Config": "../../etc/passwd", "RepoTags": [], "Layers": []}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="outside itself"):
        load_archive(store, evil)
    with pytest.raises(ArchiveError, match=r"neither manifest\.json"):
        load_archive(store, tmp_path)


def test_import_rootfs_with_changes(store: Store) -> None:
    tar = LayerBuilder().file("hello", b"world", mode=0o600).dir("app").build()
    image = import_rootfs(
        store,
        io.BytesIO(gzip.compress(tar)),
        tags=["imported:1"],
        changes=['CMD ["/hello"]', "ENV A=b"],
        message="from a tarball",
    )
    assert image.runtime_config["Cmd"] == ["/hello"]
    assert "A=b" in image.runtime_config["Env"]
    assert image.config["history"][-1]["comment"] == "from a tarball"
    [lower] = ImageStore(store).lower_dirs(image)
    assert (lower / "hello").read_bytes() == b"world"
