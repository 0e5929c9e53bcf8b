"""What `commit` and build steps do: an upper dir diffed into a layer on top of a parent image."""

from __future__ import annotations

import os
from pathlib import Path

from runtime.images.creation import create_image, layer_from_upper
from runtime.images.imagestore import ImageStore
from runtime.images.reference import parse_reference
from tests.support.images import busybox_image
from tests.support.layers import overlay_view, overlay_writable
from tests.support.stores import make_store


def test_commit_an_upper_dir(tmp_path: Path) -> None:
    store = make_store(tmp_path / "engine")
    images = ImageStore(store)
    parent = busybox_image(store)
    with overlay_writable(
        images.lower_dirs(parent), tmp_path / "upper", tmp_path / "work", tmp_path / "rootfs"
    ) as root:
        (root / "etc/motd").write_text("committed\n")
        (root / "etc/hostname").write_text("container-id\n")  # init layer: left out
        (root / "bin/vi").unlink()
        (root / "data").mkdir()
        (root / "data/volume-content").write_text("belongs to a volume")
    layer = layer_from_upper(
        store, tmp_path / "upper", exclude=["/etc/hostname"], exclude_contents=["/data"]
    )
    image = create_image(
        images,
        parent=parent,
        layers=[layer],
        config={**parent.runtime_config, "Cmd": ["cat", "/etc/motd"]},
        history=[{"created_by": "pycompose commit", "comment": "test"}],
        tags=[parse_reference("committed:1")],
        author="tester",
    )
    assert image.parent == parent.id
    assert image.diff_ids[:-1] == parent.diff_ids and image.diff_ids[-1] == layer.diff_id
    assert image.config["author"] == "tester" and len(image.config["history"]) == 2
    assert images.get("committed:1").runtime_config["Cmd"] == ["cat", "/etc/motd"]
    with overlay_view(images.lower_dirs(image), tmp_path / "merged") as merged:
        assert (merged / "etc/motd").read_text() == "committed\n"
        assert not (merged / "etc/hostname").exists()
        assert not os.path.lexists(merged / "bin/vi")
        assert (merged / "bin/sh").exists()
        assert (merged / "data").is_dir() and os.listdir(merged / "data") == []
