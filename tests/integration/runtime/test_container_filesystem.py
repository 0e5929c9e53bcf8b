"""The container's filesystem: overlay of many layers, confined mount targets, volumes, tmpfs."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from runtime.containers.spec import ContainerSpec, MountSpec
from runtime.errors import VolumeError
from runtime.store import Layout, Store
from runtime.volumes import VolumeStore
from runtime.volumes.mounts import release_mounts, resolve_mounts
from tests.integration.runtime.conftest import Engine
from tests.support.bundles import host_mounts


def sh(script: str, **options: object) -> ContainerSpec:
    return ContainerSpec(name="fs", command=("sh", "-c", script), **options)  # type: ignore[arg-type]


def test_symlink_to_the_host_cannot_redirect_a_mount(engine: Engine, tmp_path: Path) -> None:
    host_dir = tmp_path / "host-target"
    host_dir.mkdir()
    evil = tmp_path / "evil-layer"
    evil.mkdir()
    # The image says /data is the host's directory; the mount must land inside the rootfs.
    (evil / "data").symlink_to(host_dir)
    (evil / "etc").mkdir()
    (evil / "etc" / "escape").symlink_to("../../../../../../../../" + str(host_dir).lstrip("/"))
    source = tmp_path / "bind-source"
    source.mkdir()
    (source / "marker").write_text("bound\n")
    from runtime.oci.spec import Mount

    mounts = (
        Mount("/data", "bind", str(source), ["rbind", "rw"]),
        Mount("/etc/escape/sub", "tmpfs", "tmpfs", []),
    )
    spec = sh("cat /data/marker; touch /etc/escape/sub/x && echo TMPFS")
    made = engine.bundle(spec, mounts=mounts, layers=[engine.layer, evil])
    before = host_mounts()
    result = engine.run_bundle(made)
    assert result.stdout.split() == ["bound", "TMPFS"], result.stderr
    assert list(host_dir.iterdir()) == []
    assert str(host_dir) not in "".join(host_mounts() - before)
    assert host_mounts() == before


def test_overlay_of_many_layers_with_long_paths(engine: Engine, tmp_path: Path) -> None:
    layers = [engine.layer]
    for index in range(150):
        layer = tmp_path / ("layers" + "/deeply-nested-directory-name" * 3) / f"layer-{index:04d}"
        layer.mkdir(parents=True)
        (layer / f"file-{index}").write_text(str(index))
        (layer / "top").write_text(str(index))
        layers.append(layer)
    total = sum(len(str(p)) + 1 for p in layers)
    assert total > 4096  # beyond what one mount option page can hold
    made = engine.bundle(sh("ls / | grep -c file-; cat /top"), layers=layers)
    assert engine.run_bundle(made).stdout.split() == ["150", "149"]


def test_named_volume_gets_copy_up_and_is_held(engine: Engine, tmp_path: Path) -> None:
    volumes = VolumeStore(Store(Layout(tmp_path / "root", tmp_path / "run")))
    spec = sh(
        "cat /data/seed.txt; echo more > /data/new.txt; ls /cache | wc -l; touch /ro/x || echo RO",
        mounts=(
            MountSpec("volume", "/data", "appdata"),
            MountSpec("volume", "/cache"),
            MountSpec("bind", "/ro", str(tmp_path), read_only=True),
            MountSpec("tmpfs", "/scratch", tmpfs_size=1 << 20),
        ),
    )
    made = engine.bundle(spec)
    oci_mounts, held = resolve_mounts(volumes, made.container_id, spec, made.dirs.merged)
    assert len(held) == 2
    made.rewrite(replace(made.spec, mounts=made.spec.mounts + oci_mounts))
    result = engine.run_bundle(made)
    assert result.stdout.split() == ["from", "the", "image", "0", "RO"], result.stderr
    data = volumes.get("appdata").mountpoint
    assert (data / "seed.txt").read_text() == "from the image\n"
    assert (data / "new.txt").read_text() == "more\n"
    with pytest.raises(VolumeError, match="in use"):
        volumes.remove("appdata")
    removed = release_mounts(volumes, made.container_id, remove_anonymous=True)
    assert len(removed) == 1 and removed[0] != "appdata"
    volumes.remove("appdata")
    assert not data.exists()


def test_image_volume_becomes_an_anonymous_volume(engine: Engine, tmp_path: Path) -> None:
    volumes = VolumeStore(Store(Layout(tmp_path / "root", tmp_path / "run")))
    spec = ContainerSpec(
        name="img",
        image_config={"Cmd": ["sh", "-c", "cat /data/seed.txt"], "Volumes": {"/data": {}}},
    )
    made = engine.bundle(spec)
    oci_mounts, held = resolve_mounts(volumes, made.container_id, spec, made.dirs.merged)
    assert [m.destination for m in oci_mounts] == ["/data"]
    volume = volumes.get(held[0])
    assert volume.anonymous
    assert (volume.mountpoint / "seed.txt").read_text() == "from the image\n"
    assert os.path.isdir(volume.mountpoint)
    release_mounts(volumes, made.container_id)
    assert volumes.prune() == [volume.name]


def test_bind_propagation_rslave_sees_later_host_mounts(engine: Engine, tmp_path: Path) -> None:
    from runtime.linux import syscalls
    from runtime.oci.runtime import wait_pid

    source = tmp_path / "shared"
    source.mkdir()
    # a shared mount point on the host side, as a real host's / usually is
    syscalls.mount(str(source), str(source), None, syscalls.MS_BIND)
    syscalls.mount(None, str(source), None, syscalls.MS_SHARED)
    try:
        spec = ContainerSpec(
            name="prop",
            command=("sleep", "100"),
            mounts=(MountSpec("bind", "/mnt/host", str(source), propagation="rslave"),),
        )
        volumes = VolumeStore(Store(Layout(tmp_path / "root", tmp_path / "run")))
        made = engine.bundle(spec)
        oci_mounts, _ = resolve_mounts(volumes, made.container_id, spec, made.dirs.merged)
        assert made.spec.linux.rootfs_propagation is None
        made.rewrite(replace(made.spec, mounts=made.spec.mounts + oci_mounts))
        made.spec.linux.rootfs_propagation = "rslave"
        made.rewrite(made.spec)
        engine.runtime.create(made.container_id, made.path, stdio=(0, 1, 2))
        engine.runtime.start(made.container_id)
        (source / "later").mkdir()
        syscalls.mount("tmpfs", str(source / "later"), "tmpfs", 0, "size=1m")
        (source / "later" / "file").write_text("propagated\n")
        read_end, write_end = os.pipe()
        process = engine.runtime.exec_process_from(
            made.container_id, ["cat", "/mnt/host/later/file"]
        )
        pid = engine.runtime.exec(made.container_id, process, stdio=(0, write_end, write_end))
        os.close(write_end)
        assert wait_pid(pid).code == 0
        with os.fdopen(read_end) as handle:
            assert handle.read() == "propagated\n"
        engine.runtime.delete(made.container_id, force=True)
        syscalls.umount(str(source / "later"))
    finally:
        syscalls.umount(str(source), syscalls.MNT_DETACH)
