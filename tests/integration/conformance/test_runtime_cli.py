"""Black-box OCI runtime conformance through the runc command line, for pycompose-runtime and,
as the reference, crun (the runtime-tools validation suite is Go and not in Debian).

Every check runs against both; SKIP lists what a runtime is known to fail, and
pycompose-runtime's list may be no longer than crun's. crun 1.8 refuses this
machine's hybrid cgroup layout, so each crun command runs in a private mount
namespace where /sys/fs/cgroup/unified is unmounted (as the differential tests do).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runtime.linux import netns
from tests.support.bundles import remove_cgroup_parent
from tests.support.rootfs import busybox_available, make_busybox_rootfs

PYCOMPOSE_RUNTIME = str(Path(sys.executable).parent / "pycompose-runtime")
RUNTIMES = ("pycompose", "crun")
# Checks a runtime is known to fail here, with the reason; pycompose's may not outgrow crun's.
SKIP: dict[str, dict[str, str]] = {
    "pycompose": {},
    "crun": {},
}


@dataclass
class Cli:
    """One runtime's command line with its own state directory."""

    name: str
    root: Path
    cgroup_parent: str

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        if self.name == "pycompose":
            argv = [PYCOMPOSE_RUNTIME, "--root", str(self.root), *args]
        else:
            script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"'
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
            argv += ["crun", "--root", str(self.root), *args]
        # Files, not pipes: a container keeps its stdio open after the command exits.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=False, timeout=60
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, done.returncode, out.read(), err.read())

    def state(self, container_id: str) -> dict[str, Any]:
        done = self("state", container_id)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def wait_stopped(self, container_id: str) -> None:
        deadline = time.monotonic() + 10
        while self.state(container_id)["status"] != "stopped":
            assert time.monotonic() < deadline
            time.sleep(0.02)


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not busybox_available():
        pytest.skip("busybox-static is not installed")
    root = make_busybox_rootfs(tmp_path_factory.mktemp("conformance") / "rootfs")
    (root / "etc" / "secret").write_text("masked\n")
    (root / "etc" / "frozen").mkdir()
    (root / "scratch").mkdir()
    (root / "hostdir").mkdir()
    return root


@pytest.fixture(params=RUNTIMES)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    if request.param == "crun" and shutil.which("crun") is None:
        pytest.skip("crun is not installed")
    made = Cli(request.param, tmp_path / "state", f"conformance-{secrets.token_hex(4)}")
    try:
        yield made
    finally:
        for entry in made.root.iterdir() if made.root.exists() else ():
            made("delete", "--force", entry.name)
        if made.name == "crun":
            clean_hidden_cgroup(made.cgroup_parent)
        remove_cgroup_parent(made.cgroup_parent)


def clean_hidden_cgroup(parent: str) -> None:
    """Remove what crun wrote into the tmpfs directory its private unmount uncovered."""
    script = f"umount /sys/fs/cgroup/unified 2>/dev/null; rm -rf /sys/fs/cgroup/unified/{parent}"
    subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script], check=False
    )


def skip_known(cli: Cli, check: str) -> None:
    reason = SKIP[cli.name].get(check)
    if reason:
        pytest.skip(reason)


def base_config(rootfs: Path, cgroup_path: str, args: list[str]) -> dict[str, Any]:
    """A minimal config.json, as `runc spec` writes it, running `args`."""
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {
                kind: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                for kind in ("bounding", "effective", "permitted")
            },
            "noNewPrivileges": True,
        },
        "root": {"path": str(rootfs), "readonly": True},
        "hostname": "conformance",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]},
            {
                "destination": "/sys/fs/cgroup",
                "type": "cgroup",
                "source": "cgroup",
                "options": ["ro", "nosuid", "noexec", "nodev"],
            },
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "cgroupsPath": cgroup_path,
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"],
        },
    }


def write_bundle(tmp_path: Path, config: dict[str, Any]) -> Path:
    bundle = tmp_path / f"bundle-{secrets.token_hex(3)}"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle


def new_id() -> str:
    return f"c-{secrets.token_hex(4)}"


def sleeper(cli: Cli, rootfs: Path, tmp_path: Path) -> tuple[str, Path]:
    container_id = new_id()
    config = base_config(rootfs, f"/{cli.cgroup_parent}/{container_id}", ["sleep", "60"])
    return container_id, write_bundle(tmp_path, config)


# ---- lifecycle -------------------------------------------------------------------------


def test_state_fields_through_the_lifecycle(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    container_id, bundle = sleeper(cli, rootfs, tmp_path)
    created = cli("create", "--bundle", str(bundle), container_id)
    assert created.returncode == 0, created.stderr
    state = cli.state(container_id)
    assert state["id"] == container_id and state["status"] == "created"
    assert state["pid"] > 0 and os.path.exists(f"/proc/{state['pid']}")
    assert Path(state["bundle"]) == bundle and state["ociVersion"].startswith("1.")
    assert cli("start", container_id).returncode == 0
    assert cli.state(container_id)["status"] == "running"
    assert cli("kill", container_id, "KILL").returncode == 0
    cli.wait_stopped(container_id)
    assert cli("delete", container_id).returncode == 0
    assert cli("state", container_id).returncode != 0


def test_create_twice_fails(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    container_id, bundle = sleeper(cli, rootfs, tmp_path)
    assert cli("create", "--bundle", str(bundle), container_id).returncode == 0
    again = cli("create", "--bundle", str(bundle), container_id)
    assert again.returncode != 0 and again.stderr
    assert cli.state(container_id)["status"] == "created"


def test_start_of_a_container_not_created_fails(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    assert cli("start", "no-such-container").returncode != 0
    container_id, bundle = sleeper(cli, rootfs, tmp_path)
    cli("create", "--bundle", str(bundle), container_id)
    assert cli("start", container_id).returncode == 0
    assert cli("start", container_id).returncode != 0  # running, not created


def test_kill_of_a_stopped_container_fails(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    skip_known(cli, "kill-of-a-stopped-container-fails")
    container_id, bundle = sleeper(cli, rootfs, tmp_path)
    cli("create", "--bundle", str(bundle), container_id)
    cli("start", container_id)
    cli("kill", container_id, "KILL")
    cli.wait_stopped(container_id)
    assert cli("kill", container_id, "TERM").returncode != 0


def test_delete_of_a_running_container_needs_force(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    container_id, bundle = sleeper(cli, rootfs, tmp_path)
    cli("create", "--bundle", str(bundle), container_id)
    cli("start", container_id)
    assert cli("delete", container_id).returncode != 0
    assert cli.state(container_id)["status"] == "running"
    assert cli("delete", "--force", container_id).returncode == 0
    assert cli("state", container_id).returncode != 0


def test_a_host_sysctl_is_refused(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    container_id = new_id()
    config = base_config(rootfs, f"/{cli.cgroup_parent}/{container_id}", ["true"])
    config["linux"]["sysctl"] = {"kernel.core_pattern": "|/tmp/evil"}
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    done = cli("run", "--bundle", str(write_bundle(tmp_path, config)), container_id)
    assert done.returncode != 0
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before


# ---- config.json features, seen from inside --------------------------------------------

PROBE = r"""
echo "args $0 $1"
echo "user $(id -u) $(id -g) $(id -G)"
echo "cwd $(pwd)"
echo "env $GREETING"
echo "nofile $(ulimit -n)"
grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t' ' '
echo "hostname $(hostname)"
touch /root-write 2>/dev/null && echo "root rw" || echo "root ro"
touch /scratch/f && echo "tmpfs rw $(grep ' /scratch ' /proc/self/mounts | cut -d' ' -f3)"
touch /hostdir/f 2>/dev/null && echo "bind rw" || echo "bind ro $(cat /hostdir/seen)"
echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"
echo "memory $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
echo "sysctl $(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/shmmni)"
echo "masked [$(cat /etc/secret)]"
touch /etc/frozen/x 2>/dev/null && echo "readonly-path rw" || echo "readonly-path ro"
ls -ln /dev/probe-null | awk '{print "device", $1, $5, $6}'
echo "oom $(cat /proc/self/oom_score_adj)"
mkdir /tmp/denied 2>/dev/null && echo "seccomp allowed mkdir" || echo "seccomp denied mkdir"
echo "netns $(stat -L -c %i /proc/self/ns/net)"
grep -c ' - ' /proc/self/mountinfo >/dev/null; awk '$5 == "/" {print "propagation", ($7 ~ /shared/ ? "shared" : "private")}' /proc/self/mountinfo
"""


def feature_config(rootfs: Path, cgroup_path: str, host_dir: Path, pin: Path) -> dict[str, Any]:
    config = base_config(rootfs, cgroup_path, ["sh", "-c", PROBE, "probe", "one"])
    process = config["process"]
    # CAP_DAC_OVERRIDE: see test_non_root_user_without_dac_override_starts
    process["capabilities"] = {
        kind: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL"]
        for kind in ("bounding", "effective", "permitted")
    }
    process.update(
        user={"uid": 1000, "gid": 1000, "additionalGids": [100]},
        cwd="/tmp",
        env=[*process["env"], "GREETING=hello"],
        rlimits=[{"type": "RLIMIT_NOFILE", "hard": 1000, "soft": 900}],
        oomScoreAdj=100,
    )
    config["mounts"] += [
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {
            "destination": "/hostdir",
            "type": "bind",
            "source": str(host_dir),
            "options": ["rbind", "ro"],
        },
    ]
    linux = config["linux"]
    linux["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")] + [
        {"type": "network", "path": str(pin)}
    ]
    linux["resources"] = {
        "devices": [
            {"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        ],
        "pids": {"limit": 42},
        "memory": {"limit": 64 << 20},
    }
    linux["devices"] = [
        {"path": "/dev/probe-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}
    ]
    linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "4000"}
    linux["maskedPaths"] = ["/proc/kcore", "/etc/secret"]
    linux["readonlyPaths"] = ["/proc/sys", "/etc/frozen"]
    linux["rootfsPropagation"] = "private"
    linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }
    return config


def run_features(cli: Cli, rootfs: Path, tmp_path: Path) -> list[str]:
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir(parents=True)
    (host_dir / "seen").write_text("from-host")
    pin = netns.create(tmp_path / "netns-pin")
    try:
        container_id = new_id()
        config = feature_config(rootfs, f"/{cli.cgroup_parent}/{container_id}", host_dir, pin)
        done = cli("run", "--bundle", str(write_bundle(tmp_path, config)), container_id)
        assert done.returncode == 0, done.stderr
        pin_inode = os.stat(pin).st_ino
        return [line.replace(str(pin_inode), "<pin>") for line in done.stdout.splitlines()]
    finally:
        netns.remove(pin)


@pytest.mark.parametrize("name", ["pycompose"])
def test_config_features_as_crun_shows_them(name: str, rootfs: Path, tmp_path: Path) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("the seccomp profile names x86_64")
    if shutil.which("crun") is None:
        pytest.skip("crun is not installed")
    parent = f"conformance-{secrets.token_hex(4)}"
    ours_cli = Cli("pycompose", tmp_path / "ours", parent)
    crun_cli = Cli("crun", tmp_path / "crun", parent)
    try:
        ours = run_features(ours_cli, rootfs, tmp_path / "a")
        theirs = run_features(crun_cli, rootfs, tmp_path / "b")
    finally:
        clean_hidden_cgroup(parent)
        remove_cgroup_parent(parent)
    assert ours == theirs
    expected = [
        "args probe one",
        "user 1000 1000 1000 100",
        "cwd /tmp",
        "env hello",
        "nofile 900",
        "NoNewPrivs: 1",
        "hostname conformance",
        "root ro",
        "tmpfs rw tmpfs",
        "bind ro from-host",
        "pids 42",
        f"memory {64 << 20}",
        "sysctl 1 4000",
        "masked []",
        "readonly-path ro",
        "device crw-rw-rw- 1, 3",
        "oom 100",
        "seccomp denied mkdir",
        "netns <pin>",
        "propagation private",
    ]
    for line in expected:
        assert line in ours, (line, ours)


def test_non_root_user_without_dac_override_starts(cli: Cli, rootfs: Path, tmp_path: Path) -> None:
    container_id = new_id()
    config = base_config(rootfs, f"/{cli.cgroup_parent}/{container_id}", ["id", "-u"])
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    done = cli("run", "--bundle", str(write_bundle(tmp_path, config)), container_id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1000"


def test_non_root_user_without_any_capability_starts(
    cli: Cli, rootfs: Path, tmp_path: Path
) -> None:
    container_id = new_id()
    config = base_config(
        rootfs, f"/{cli.cgroup_parent}/{container_id}", ["grep", "Cap", "/proc/self/status"]
    )
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    config["process"]["capabilities"] = {
        kind: [] for kind in ("bounding", "effective", "permitted", "inheritable", "ambient")
    }
    done = cli("run", "--bundle", str(write_bundle(tmp_path, config)), container_id)
    assert done.returncode == 0, done.stderr
    assert "CapEff:\t0000000000000000" in done.stdout
    assert "CapPrm:\t0000000000000000" in done.stdout
