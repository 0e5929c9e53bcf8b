"""Bundles from image config + run options: Docker's defaults, overrides, users, volumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.containers.bundle import BundleInputs, build_spec, command_line
from runtime.containers.spec import (
    ContainerSpec,
    ContainerSpecError,
    NamespaceMode,
    Resources,
    Ulimit,
)
from runtime.errors import EngineError
from runtime.linux.capabilities import DOCKER_DEFAULT_CAPABILITIES, resolve_set
from runtime.linux.mounts import parse_options
from runtime.linux.rlimits import Rlimit, cap_to_allowed
from runtime.linux.users import resolve_user
from runtime.store import Layout, Store
from runtime.volumes import VolumeStore
from tests.support.rootfs import make_busybox_rootfs


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rootfs")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
    )
    (root / "etc" / "group").write_text(
        "root:x:0:\nusers:x:100:app\napp:x:1000:\nwheel:x:10:root\n"
    )
    return root


def inputs(rootfs: Path, **changes: object) -> BundleInputs:
    return BundleInputs(
        container_id="abcdef0123456789", rootfs=rootfs, cgroup_parent="pycompose-t", **changes
    )  # type: ignore[arg-type]


def test_docker_defaults(rootfs: Path) -> None:
    image = {"Env": ["PATH=/bin", "LANG=C"], "Cmd": ["sh"], "WorkingDir": "/srv"}
    spec = build_spec(ContainerSpec(name="x", image_config=image), inputs(rootfs))
    assert spec.process is not None
    assert spec.process.args == ["sh"]
    assert spec.process.cwd == "/srv"
    assert "PATH=/bin" in spec.process.env and "HOSTNAME=abcdef012345" in spec.process.env
    assert "HOME=/root" in spec.process.env
    assert sorted(spec.process.capabilities.bounding) == sorted(DOCKER_DEFAULT_CAPABILITIES)  # type: ignore[union-attr]
    assert spec.hostname == "abcdef012345"
    assert spec.linux.cgroups_path == "/pycompose-t/abcdef0123456789"
    assert "/proc/kcore" in spec.linux.masked_paths and "/proc/sys" in spec.linux.readonly_paths
    assert {m.destination for m in spec.mounts} >= {
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
        "/sys/fs/cgroup",
    }
    shm = next(m for m in spec.mounts if m.destination == "/dev/shm")
    assert f"size={64 * 1024 * 1024}" in shm.options
    assert [ns.type for ns in spec.linux.namespaces] == [
        "mount",
        "network",
        "ipc",
        "pid",
        "uts",
        "cgroup",
    ]
    assert (
        spec.linux.seccomp is not None and spec.linux.seccomp["defaultAction"] == "SCMP_ACT_ERRNO"
    )
    assert spec.linux.resources is not None and spec.linux.resources.devices[0].allow is False


def test_run_options_override(rootfs: Path) -> None:
    image = {"Entrypoint": ["/entry"], "Cmd": ["default"], "User": "app"}
    spec = build_spec(
        ContainerSpec(
            name="x",
            image_config=image,
            command=("other",),
            env={"A": "1"},
            tty=True,
            hostname="web",
            resources=Resources(memory=64 << 20, cpus=0.5, pids_limit=10),
            ulimits=(Ulimit("nofile", 100, 200),),
            network=NamespaceMode("path", "/run/netns/x"),
            pid=NamespaceMode("host"),
            read_only=True,
            privileged=False,
        ),
        inputs(rootfs),
    )
    assert spec.process is not None
    assert spec.process.args == ["/entry", "other"]
    assert spec.process.user.uid == 1000 and spec.process.user.additional_gids == [1000, 100]
    assert (
        "TERM=xterm" in spec.process.env
        and "A=1" in spec.process.env
        and "HOME=/home/app" in spec.process.env
    )
    assert spec.root.readonly
    resources = spec.linux.resources
    assert resources is not None and resources.memory is not None and resources.cpu is not None
    assert resources.memory.limit == 64 << 20 and resources.memory.swap == 128 << 20
    assert (resources.cpu.quota, resources.cpu.period) == (50000, 100000)
    assert spec.process.rlimits[0].type == "RLIMIT_NOFILE" and spec.process.rlimits[0].hard == 200
    kinds = {ns.type: ns.path for ns in spec.linux.namespaces}
    assert kinds["network"] == "/run/netns/x" and "pid" not in kinds


def test_entrypoint_override_resets_cmd() -> None:
    spec = ContainerSpec(
        name="x", image_config={"Entrypoint": ["a"], "Cmd": ["b"]}, entrypoint=("c",)
    )
    assert command_line(spec) == ["c"]
    with pytest.raises(ContainerSpecError, match="no command"):
        command_line(ContainerSpec(name="x"))


def test_privileged_and_capability_changes(rootfs: Path) -> None:
    spec = build_spec(
        ContainerSpec(name="x", image_config={"Cmd": ["sh"]}, privileged=True), inputs(rootfs)
    )
    assert spec.linux.masked_paths == [] and spec.linux.seccomp is None
    assert "CAP_SYS_ADMIN" in spec.process.capabilities.bounding  # type: ignore[union-attr]
    assert resolve_set(False, ["ALL"], ["NET_RAW"]).count("CAP_NET_RAW") == 0
    assert resolve_set(False, ["chown"], ["ALL"]) == ["CAP_CHOWN"]
    with pytest.raises(ValueError, match="unknown capability"):
        resolve_set(False, ["CAP_FLY"], [])


def test_sysctl_must_be_namespaced(rootfs: Path) -> None:
    with pytest.raises(EngineError, match="not namespaced"):
        build_spec(
            ContainerSpec(name="x", image_config={"Cmd": ["sh"]}, sysctls={"vm.swappiness": "1"}),
            inputs(rootfs),
        )
    with pytest.raises(EngineError, match="host's network"):
        build_spec(
            ContainerSpec(
                name="x",
                image_config={"Cmd": ["sh"]},
                sysctls={"net.ipv4.ip_forward": "1"},
                network=NamespaceMode("host"),
            ),
            inputs(rootfs),
        )


def test_users_and_groups(rootfs: Path) -> None:
    assert resolve_user(rootfs, None).additional_gids == (0, 10)
    assert resolve_user(rootfs, "1000").uid == 1000
    assert resolve_user(rootfs, "4242").gid == 0
    assert resolve_user(rootfs, "app:users").gid == 100
    assert resolve_user(rootfs, "app", ("wheel",)).additional_gids == (1000, 100, 10)
    with pytest.raises(EngineError, match="unable to find group"):
        resolve_user(rootfs, "app:nope")


def test_symlinked_passwd_is_read_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").symlink_to("/etc/passwd")  # the host's, if followed
    with pytest.raises(EngineError, match="unable to find user root"):
        resolve_user(tmp_path, "root")


def test_mount_options_and_rlimits() -> None:
    opts = parse_options(["rbind", "ro", "rslave", "nosuid", "size=10m", "mode=755"])
    assert opts.is_bind and opts.data == "size=10m,mode=755" and len(opts.propagation) == 1
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if hard != resource.RLIM_INFINITY:
        capped, notes = cap_to_allowed([Rlimit("RLIMIT_CORE", 1, hard + 1)], can_raise=False)
        assert capped[0].hard == hard and notes


def test_volume_store_rules(tmp_path: Path) -> None:
    volumes = VolumeStore(Store(Layout(tmp_path / "root", tmp_path / "run")))
    named = volumes.create("data", labels={"a": "b"})
    assert named.mountpoint == tmp_path / "root" / "volumes" / "data" / "_data"
    assert volumes.create("data").name == "data"
    with pytest.raises(EngineError, match="already exists"):
        volumes.create("data", exist_ok=False)
    with pytest.raises(EngineError, match="invalid volume name"):
        volumes.create("../x")
    anonymous = volumes.create()
    volumes.hold("data", "container", "c1")
    with pytest.raises(EngineError, match="in use by container:c1"):
        volumes.remove("data")
    assert [v.name for v in volumes.list_volumes(labels={"a": "b"})] == ["data"]
    assert volumes.prune() == [anonymous.name]
    assert volumes.prune(all=True) == []
    volumes.release("container", "c1")
    assert volumes.prune(all=True) == ["data"]
    with pytest.raises(EngineError, match="no such volume"):
        volumes.get("data")


def test_busybox_rootfs_helper(tmp_path: Path) -> None:
    import shutil

    if shutil.which("busybox") is None:
        pytest.skip("busybox is not installed")
    root = make_busybox_rootfs(tmp_path / "r")
    assert resolve_user(root, "app").uid == 1000


def test_shared_bind_makes_the_root_shared(rootfs: Path) -> None:
    from runtime.oci.spec import Mount

    spec = ContainerSpec(name="x", image_config={"Cmd": ["sh"]})
    shared = build_spec(
        spec, inputs(rootfs, mounts=(Mount("/m", "bind", "/srv", ["rbind", "rshared"]),))
    )
    assert shared.linux.rootfs_propagation == "rshared"
    slave = build_spec(
        spec, inputs(rootfs, mounts=(Mount("/m", "bind", "/srv", ["rbind", "rslave"]),))
    )
    assert slave.linux.rootfs_propagation == "rslave"
    assert build_spec(spec, inputs(rootfs)).linux.rootfs_propagation is None
