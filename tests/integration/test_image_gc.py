"""Removing images: tags first, shared layers kept, holds respected, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.images.creation import create_image, store_layer
from runtime.images.errors import ImageInUse, ImageNotFound
from runtime.images.garbage import images_usage, prune_images, remove_image
from runtime.images.imagestore import ImageStore
from runtime.images.reference import parse_reference
from runtime.store import Layout, Store
from tests.support.images import busybox_image
from tests.support.layers import LayerBuilder


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(Layout(root=tmp_path / "root", run_root=tmp_path / "run"))


def _child(store: Store, name: str, content: bytes) -> str:
    images = ImageStore(store)
    tar = LayerBuilder().file("data", content).build()
    layer = store_layer(store, lambda sink: sink.write(tar))
    return create_image(
        images, parent=images.get("busybox"), layers=[layer], tags=[parse_reference(name)]
    ).id


def test_rm_untags_then_deletes_and_keeps_shared_layers(store: Store) -> None:
    base = busybox_image(store)
    child = _child(store, "child:1", b"one")
    images = ImageStore(store)
    images.tag(child, parse_reference("child:alias"))
    first = remove_image(store, "child:alias")
    assert first.untagged == ["child:alias"] and first.deleted == []
    removed = remove_image(store, "child:1")
    assert removed.deleted == [child] and removed.reclaimed > 0
    assert images.find("child:1") is None
    assert (images.lower_dirs(base)[0] / "bin/busybox").is_file()
    assert set(store.blobs) == {base.id, base.manifest.digest, base.layers[0].blob.digest}


def test_parent_of_a_built_image_is_only_untagged(store: Store) -> None:
    base = busybox_image(store)
    _child(store, "child:1", b"one")
    result = remove_image(store, "busybox")
    assert result.untagged == ["busybox:latest"] and result.deleted == []
    assert ImageStore(store).find(base.id) is not None


def test_holds_protect_images(store: Store) -> None:
    image = busybox_image(store)
    images = ImageStore(store)
    images.hold(image.id, "container", "c1")
    with pytest.raises(ImageInUse, match="in use by container c1"):
        remove_image(store, image.id, force=True)
    with pytest.raises(ImageInUse, match="in use by container c1"):
        remove_image(store, "busybox")
    assert prune_images(store, all_unused=True).deleted == []
    usage = images_usage(store)
    assert (usage.total, usage.active, usage.reclaimable) == (1, 1, 0)
    images.release(image.id, "container", "c1")
    assert prune_images(store, all_unused=True).deleted == [image.id]
    assert list(store.blobs) == [] and list(store.layout.snapshots.iterdir()) == []
    with pytest.raises(ImageNotFound):
        images.hold(image.id, "container", "c2")


def test_prune_removes_only_dangling(store: Store) -> None:
    busybox_image(store)
    old = _child(store, "app:1", b"old")
    new = _child(store, "app:1", b"new")  # the tag moves; the old image dangles
    result = prune_images(store)
    assert result.deleted == [old]
    images = ImageStore(store)
    assert images.get("app:1").id == new
    assert images_usage(store).total == 2


def test_blob_holds_keep_blobs_no_image_names(store: Store) -> None:
    images = ImageStore(store)
    cached = store.blobs.put(b"build cache entry")
    images.hold_blob(cached, "build-cache", "step-1")
    busybox_image(store)
    prune_images(store, all_unused=True)
    assert list(store.blobs) == [cached]
    images.release_blob(cached, "build-cache", "step-1")
    prune_images(store, all_unused=True)
    assert list(store.blobs) == []
