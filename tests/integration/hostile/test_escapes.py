"""Escape attempts as root inside a default container (embedded runtime, Docker's defaults):
each fails, and the host is unchanged afterwards.

A small static C program (built here with gcc) makes the system calls busybox
cannot; each attempt runs in a child of its own and prints its errno name.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from runtime.containers.spec import ContainerSpec
from runtime.oci.spec import Mount
from tests.integration.runtime.conftest import Engine
from tests.support.bundles import cgroup_dirs, host_mounts

PROBE_SOURCE = Path(__file__).resolve().parents[2] / "support" / "escape_probe.c"

# Each attempt and the errno names that mean it was stopped (and by what, see docs/security.md).
ATTEMPTS: dict[str, set[str]] = {
    "mount": {"EPERM"},  # seccomp: mount needs CAP_SYS_ADMIN
    "umount-proc": {"EPERM"},
    "remount-sys-rw": {"EPERM"},
    "unshare-user": {"EPERM"},
    "unshare-mount": {"EPERM"},
    "setns-net": {"EPERM"},
    "write-proc-sys": {"EROFS"},  # /proc/sys is read-only
    "write-sysrq": {"EROFS", "ENOENT"},  # absent where the kernel has no magic SysRq
    "read-kcore": {"ENOENT", "ENODATA"},  # absent, or masked by /dev/null
    "init-module": {"EPERM"},
    "finit-module": {"EPERM"},
    "open-host-disk": {"EPERM"},  # the node can be made; the device cgroup refuses the open
    "open-host-disk-as-char": {"EPERM"},
    "ptrace-host-process": {"ESRCH"},  # not in the container's PID namespace
    "signal-host-process": {"ESRCH"},
    "proc-root-to-host": {"ENOENT"},  # /proc/1/root is the container's own root
    "write-proc-self-exe": {"ETXTBSY", "EACCES"},
    "chroot-breakout": {"ENOENT"},  # pivot_root left no way above the container's root
    "sethostname": {"EPERM"},
    "setdomainname": {"EPERM"},
    "set-time": {"EPERM"},
    "adjtimex": {"EPERM"},
    "cgroup-memory-limit": {"EROFS"},  # the cgroup filesystem is mounted read-only
    "cgroup-pids-max": {"EROFS"},
    "raise-rlimit": {"EPERM"},
    "af-alg": {"EAFNOSUPPORT"},
    "keyctl": {"EPERM"},
    "add-key": {"EPERM"},
    "io-uring": {"EPERM"},
    "userfaultfd": {"EPERM"},
    "bpf": {"EPERM"},
    "perf-event-open": {"EPERM"},
    "kexec-load": {"EPERM"},
    "kexec-file-load": {"EPERM"},
    "reboot": {"EPERM"},
    "swapon": {"EPERM"},
    "open-by-handle": {"EPERM"},
    "iopl": {"EPERM"},
}


@pytest.fixture(scope="module")
def probe_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    layer = tmp_path_factory.mktemp("probe")
    subprocess.run(
        ["gcc", "-static", "-O", "-o", str(layer / "escape_probe"), str(PROBE_SOURCE)],
        check=True,
    )
    return layer


def _host_state(cgroup_path: str | None = None) -> dict[str, object]:
    state: dict[str, object] = {
        "hostname": socket.gethostname(),
        "domainname": Path("/proc/sys/kernel/domainname").read_text(),
        "core_pattern": Path("/proc/sys/kernel/core_pattern").read_text(),
        "modules": Path("/proc/modules").read_text() if Path("/proc/modules").exists() else "",
        "mounts": host_mounts(),
        "clock": round(time.time() - time.monotonic()),
    }
    if cgroup_path:
        state["cgroups"] = {
            str(d): (d / name).read_text()
            for d in cgroup_dirs(cgroup_path)
            for name in ("memory.limit_in_bytes", "pids.max")
            if (d / name).exists()
        }
    return state


def test_escape_attempts_fail_and_the_host_is_unchanged(
    engine: Engine, probe_layer: Path, busybox_layer: Path, tmp_path: Path
) -> None:
    canary = tmp_path / "host-secret"
    canary.write_text("host only\n")
    root_device = os.stat("/").st_dev
    spec = ContainerSpec(
        name="escape",
        command=(
            "/escape_probe",
            str(os.getpid()),
            str(os.major(root_device)),
            str(os.minor(root_device)),
            str(canary),
            *ATTEMPTS,
        ),
    )
    made = engine.bundle(spec, layers=[busybox_layer, probe_layer])
    cgroup_path = made.spec.linux.cgroups_path
    before = _host_state()
    result = engine.run_bundle(made)
    assert result.status.code == 0, result.stderr
    outcomes = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert set(outcomes) == set(ATTEMPTS)
    escaped = {name: got for name, got in outcomes.items() if got not in ATTEMPTS[name]}
    assert not escaped, escaped
    assert _host_state() == before
    assert canary.read_text() == "host only\n"
    assert cgroup_path


def test_cgroup_limits_cannot_be_raised_from_inside(engine: Engine) -> None:
    from runtime.containers.spec import Resources

    spec = ContainerSpec(
        name="limits",
        command=(
            "sh",
            "-c",
            "echo -1 > /sys/fs/cgroup/memory/memory.limit_in_bytes; "
            "echo max > /sys/fs/cgroup/pids/pids.max; "
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max",
        ),
        resources=Resources(memory=64 << 20, pids_limit=50),
    )
    made = engine.bundle(spec)
    result = engine.run_bundle(made)
    assert result.stdout.split() == [str(64 << 20), "50"]
    assert "Read-only file system" in result.stderr


def test_a_symlink_planted_in_a_volume_cannot_redirect_a_mount_to_the_host(
    engine: Engine, tmp_path: Path
) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    (host_dir / "kept").write_text("host\n")
    # What a first container could leave in a volume it shares: links to host paths.
    writer = engine.run(
        ContainerSpec(
            name="planter",
            command=("sh", "-c", f"ln -s {host_dir} /data/link; ln -s ../../../../.. /data/up"),
        ),
        mounts=(Mount("/data", "bind", str(volume), ["rbind", "rw"]),),
    )
    assert writer.status.code == 0, writer.stderr
    assert os.readlink(volume / "link") == str(host_dir)
    mounts_before = {m for m in host_mounts() if not m.startswith(str(engine.base))}
    # A second container mounts the volume and, inside it, a tmpfs through each link.
    reader = engine.run(
        ContainerSpec(
            name="follower",
            command=("sh", "-c", f"touch /data/link/pwned /data/up{host_dir}/pwned; ls -a /"),
        ),
        mounts=(
            Mount("/data", "bind", str(volume), ["rbind", "rw"]),
            Mount("/data/link/inner", "tmpfs", "tmpfs", ["nosuid"]),
        ),
    )
    assert reader.status.code == 0, reader.stderr
    assert sorted(os.listdir(host_dir)) == ["kept"]
    assert {m for m in host_mounts() if not m.startswith(str(engine.base))} == mounts_before
