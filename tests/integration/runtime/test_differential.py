"""The same bundle run by pycompose-runtime, crun and runc looks the same from inside.

One probe script (busybox sh) prints identity, capabilities, seccomp and
no_new_privs state, rlimits, cgroup limits, hostname, environment, mounts and
which namespaces differ from the host's; the outputs must match line for line.
crun 1.8 refuses the hybrid cgroup layout of this machine, so it runs in a
private mount namespace where /sys/fs/cgroup/unified is unmounted.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from runtime.containers.spec import ContainerSpec, Resources, Ulimit
from tests.integration.runtime.conftest import Engine
from tests.support.bundles import MadeBundle

PYCOMPOSE_RUNTIME = str(Path(sys.executable).parent / "pycompose-runtime")
NAMESPACES = ("mnt", "pid", "uts", "ipc", "net", "cgroup", "user")
MASKED_FILES = {
    "/proc/kcore",
    "/proc/keys",
    "/proc/timer_list",
    "/proc/latency_stats",
    "/proc/timer_stats",
    "/proc/sched_debug",
}
PROBE = r"""
echo "id $(id)"
echo "hostname $(hostname)"
echo "cwd $(pwd)"
grep -E '^(Cap[A-Za-z]+|NoNewPrivs|Seccomp):' /proc/self/status
ulimit -a | sed 's/^/rlimit /'
for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us \
         cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max cpuset/cpuset.cpus; do
  echo "cgroup $f $(cat /sys/fs/cgroup/$f 2>&1)"
done
awk '{split($4, o, ","); print "mount " $2 " " $3 " " o[1]}' /proc/self/mounts | sort
env | sort | sed 's/^/env /'
for n in mnt pid uts ipc net cgroup user; do echo "ns $n $(readlink /proc/self/ns/$n)"; done
echo "pid1 $(tr '\0' ' ' < /proc/1/cmdline)"
unshare -u true 2>/dev/null && echo "unshare allowed" || echo "unshare refused"
ls /dev | tr '\n' ' ' | sed 's/^/dev /'; echo
"""


def normalized(output: str) -> list[str]:
    """Namespace ids become 'shared'/'own' against the host; masked files lose their fs type."""
    host = {n: os.readlink(f"/proc/self/ns/{n}") for n in NAMESPACES}
    lines = []
    for line in output.splitlines():
        parts = line.split()
        if parts[:1] == ["ns"]:
            kind = parts[1]
            # crun runs from its own mount namespace: compare the mount ns to the container's peers
            lines.append(f"ns {kind} {'shared' if parts[2] == host[kind] else 'own'}")
        elif parts[:1] == ["mount"] and parts[1] in MASKED_FILES:
            # the bind of /dev/null: crun's is read-only, runc's writable; either hides the file
            lines.append(f"mount {parts[1]} masked")
        elif parts[:1] == ["dev"]:
            # crun adds /dev/core -> /proc/kcore even where the kernel has no kcore; runc
            # (and pycompose) only where it exists
            lines.append(" ".join(p for p in parts if p != "core" or os.path.exists("/proc/kcore")))
        else:
            lines.append(line)
    return lines


def run_with(runtime: str, made: MadeBundle, root: Path) -> list[str]:
    argv = {
        "pycompose": [PYCOMPOSE_RUNTIME, "--root", str(root), "run", made.container_id],
        "runc": ["runc", "--root", str(root), "run", made.container_id],
        "crun": [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            # crun writes the cgroup path into the tmpfs directory the mount hid: clean it
            f"umount /sys/fs/cgroup/unified; crun --root {root} run {made.container_id}; rc=$?; "
            f"rm -rf /sys/fs/cgroup/unified/{made.spec.linux.cgroups_path.split('/')[1]}; exit $rc",
        ],
    }[runtime]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        done = subprocess.run(
            argv,
            cwd=made.path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            check=False,
            timeout=60,
        )
        out.seek(0)
        err.seek(0)
        assert done.returncode == 0, f"{runtime}: {err.read()}"
        return normalized(out.read())


@pytest.mark.parametrize("peer", ["crun", "runc"])
def test_same_bundle_same_container(engine: Engine, peer: str, tmp_path: Path) -> None:
    if shutil.which(peer) is None:
        pytest.skip(f"{peer} is not installed")
    spec = ContainerSpec(
        name="probe",
        command=("sh", "-c", PROBE),
        hostname="probe",
        user="app",
        working_dir="/tmp",
        env={"MODE": "differential"},
        cap_add=("NET_ADMIN",),
        cap_drop=("MKNOD",),
        resources=Resources(
            memory=64 << 20,
            memory_reservation=32 << 20,
            cpus=0.5,
            cpu_shares=512,
            pids_limit=100,
            cpuset_cpus="0",
        ),
        ulimits=(Ulimit("nofile", 1000, 2000), Ulimit("nproc", 500, 600)),
    )
    made = engine.bundle(spec)
    ours = run_with("pycompose", made, tmp_path / "ours")
    theirs = run_with(peer, made, tmp_path / peer)
    assert ours == theirs, "\n".join(
        difflib.unified_diff(theirs, ours, peer, "pycompose", lineterm="")
    )
    # and the probe saw what the spec asked for
    assert "hostname probe" in ours and "cgroup cpu/cpu.cfs_quota_us 50000" in ours
    assert "ns net own" in ours and "ns user shared" in ours
    assert "unshare refused" in ours


def test_root_container_matches_runc(engine: Engine, tmp_path: Path) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed")
    made = engine.bundle(ContainerSpec(name="root", command=("sh", "-c", PROBE), read_only=True))
    ours = run_with("pycompose", made, tmp_path / "ours")
    theirs = run_with("runc", made, tmp_path / "runc")
    assert ours == theirs, "\n".join(
        difflib.unified_diff(theirs, ours, "runc", "pycompose", lineterm="")
    )


@pytest.mark.parametrize("name", ["pycompose", "runc"])
def test_runtime_switch_drives_the_same_lifecycle(
    engine: Engine, name: str, tmp_path: Path
) -> None:
    from runtime.oci.backends import runtime_for

    if name != "pycompose" and shutil.which(name) is None:
        pytest.skip(f"{name} is not installed")
    made = engine.bundle(ContainerSpec(name="switch", command=("sleep", "100")))
    runtime = runtime_for(name, tmp_path / f"state-{name}")
    with open(os.devnull, "rb") as null, tempfile.TemporaryFile() as out:
        runtime.create(
            made.container_id, made.path, stdio=(null.fileno(), out.fileno(), out.fileno())
        )
    assert runtime.state(made.container_id)["status"] == "created"
    runtime.start(made.container_id)
    assert runtime.state(made.container_id)["status"] == "running"
    runtime.kill(made.container_id, "KILL")
    deadline = time.monotonic() + 5
    while runtime.state(made.container_id)["status"] != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runtime.delete(made.container_id)
