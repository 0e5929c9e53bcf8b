"""Memory per idle container: pycompose's monitor beside conmon (with crun), 50 containers each.

    sudo .venv/bin/python bench/monitor.py [--containers 50]

pycompose: `Containers.create` + `start` of busybox `sleep`, network mode
none, json-file logs; each container gets one monitor (`python -S`, standard
library only). Peer: podman's conmon, which runs crun create (then `crun
start`) for the same kind of bundle and stays as the container's parent,
with a k8s-file log. Once all are up and idle, every monitor's
/proc/PID/smaps_rollup is read:

  RSS  resident pages, shared ones (the interpreter, libsqlite3) counted in full
  PSS  resident pages, each shared page divided among the processes sharing it
  USS  private pages only (Private_Clean + Private_Dirty): what one more costs

Also printed: the median time of one container's start (pycompose: start;
peer: conmon + crun create + crun start). Everything runs in a private
network and mount namespace of its own, with /sys/fs/cgroup/unified
unmounted (crun 1.8 refuses this machine's hybrid cgroup layout), both sides
alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.containers.model import ContainerRequest  # noqa: E402
from runtime.containers.spec import ContainerSpec, NamespaceMode  # noqa: E402
from runtime.engine import Engine  # noqa: E402
from runtime.linux import syscalls  # noqa: E402
from runtime.store import Layout, Store  # noqa: E402
from tests.support.bundles import make_bundle, remove_cgroup_parent  # noqa: E402
from tests.support.images import busybox_image  # noqa: E402
from tests.support.rootfs import make_busybox_rootfs  # noqa: E402

PEER_CGROUP = "pycompose-bench-conmon"


def enter_benchmark_namespace() -> None:
    syscalls.unshare(syscalls.CLONE_NEWNS | syscalls.CLONE_NEWNET)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    if os.path.ismount("/sys/fs/cgroup/unified"):
        syscalls.umount("/sys/fs/cgroup/unified")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def memory(pid: int) -> dict[str, int]:
    """Rss, Pss and USS of a process, in KiB."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 3 and parts[0].endswith(":"):
                values[parts[0][:-1]] = int(parts[1])
    return {
        "RSS": values["Rss"],
        "PSS": values["Pss"],
        "USS": values["Private_Clean"] + values["Private_Dirty"],
    }


def average(samples: list[dict[str, int]]) -> dict[str, float]:
    return {key: sum(s[key] for s in samples) / len(samples) / 1024 for key in samples[0]}


def run_ours(work: Path, count: int) -> tuple[dict[str, float], float, list[str]]:
    store = Store(Layout(work / "root", work / "run"))
    busybox_image(store)
    engine = Engine(store)
    ids, starts = [], []
    for index in range(count):
        spec = ContainerSpec(
            name=f"idle{index}", command=("sleep", "100000"), network=NamespaceMode("none")
        )
        container = engine.containers.create(ContainerRequest(spec, "busybox"))
        started = time.perf_counter()
        engine.containers.start(container.id)
        starts.append(time.perf_counter() - started)
        ids.append(container.id)
    time.sleep(3)
    samples = [memory(engine.containers.get(cid).state.monitor_pid) for cid in ids]
    return average(samples), statistics.median(starts), ids


def remove_ours(work: Path, ids: list[str]) -> None:
    engine = Engine(Store(Layout(work / "root", work / "run")))
    for container_id in ids:
        engine.containers.remove(container_id, force=True, volumes=True)


def run_peer(work: Path, count: int) -> tuple[dict[str, float], float, list[str]]:
    layer = make_busybox_rootfs(work / "layer")
    state = work / "crun-state"
    ids, starts, conmons = [], [], []
    for index in range(count):
        container_id = f"peer{index}"
        spec = ContainerSpec(name=container_id, command=("sleep", "100000"))
        made = make_bundle(work / "bundles", [layer], spec, container_id, PEER_CGROUP)
        directory = work / "conmon" / container_id
        directory.mkdir(parents=True)
        # As podman does: conmon reports the created container on _OCI_SYNCPIPE.
        sync_read, sync_write = os.pipe()
        started = time.perf_counter()
        subprocess.run(
            [
                "conmon", "--api-version", "1", "-c", made.container_id, "-u", made.container_id,
                "-n", container_id, "-r", shutil.which("crun") or "crun", "-b", str(made.path),
                "-p", str(directory / "pid"), "-P", str(directory / "conmon.pid"),
                "-l", f"k8s-file:{directory / 'ctr.log'}", "--exit-dir", str(directory),
                "--socket-dir-path", str(directory), "--log-level", "error",
                "--runtime-arg", f"--root={state}",
            ],
            env={**os.environ, "_OCI_SYNCPIPE": str(sync_write)},
            pass_fds=(sync_write,),
            check=True,
        )  # fmt: skip
        os.close(sync_write)
        with os.fdopen(sync_read) as sync:
            reply = sync.readline()
        if '"data"' not in reply or '"data": -' in reply:
            raise RuntimeError(f"conmon could not create {container_id}: {reply.strip()}")
        subprocess.run(["crun", f"--root={state}", "start", made.container_id], check=True)
        starts.append(time.perf_counter() - started)
        ids.append(made.container_id)
        conmons.append(int((directory / "conmon.pid").read_text()))
    time.sleep(3)
    samples = [memory(pid) for pid in conmons]
    return average(samples), statistics.median(starts), ids


def remove_peer(work: Path, ids: list[str]) -> None:
    state = work / "crun-state"
    for container_id in ids:
        subprocess.run(["crun", f"--root={state}", "kill", container_id, "KILL"], check=False)
    time.sleep(1)
    for container_id in ids:
        subprocess.run(["crun", f"--root={state}", "delete", "-f", container_id], check=False)
    for mount in sorted(Path(work / "bundles").glob("*/rootfs")):
        subprocess.run(["umount", "-l", str(mount)], check=False)
    remove_cgroup_parent(PEER_CGROUP)


def interpreter_start(runs: int = 10) -> tuple[float, float]:
    """Median ms to start the monitor's interpreter and import it: `python -S` vs with site."""
    from runtime.containers.launcher import BOOT, package_root

    code = BOOT.format(path=package_root()).replace("main(sys.argv[1:])", "")
    timings: dict[str, list[float]] = {"bare": [], "site": []}
    for _ in range(runs):
        for kind, flags in (("bare", ["-S", "-E", "-B"]), ("site", ["-B"])):
            started = time.perf_counter()
            subprocess.run([sys.executable, *flags, "-c", code], check=True)
            timings[kind].append((time.perf_counter() - started) * 1000)
    return statistics.median(timings["bare"]), statistics.median(timings["site"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--containers", type=int, default=50)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("monitor.py needs root")
    enter_benchmark_namespace()
    work = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    ours_ids: list[str] = []
    peer_ids: list[str] = []
    try:
        ours, ours_start, ours_ids = run_ours(work / "ours", args.containers)
        peer, peer_start, peer_ids = run_peer(work / "peer", args.containers)
    finally:
        remove_ours(work / "ours", ours_ids)
        remove_peer(work / "peer", peer_ids)
        shutil.rmtree(work, ignore_errors=True)
    count = args.containers
    print(f"{count} idle containers each; MiB per container (average), start median in ms")
    print(f"{'':24}{'RSS':>8}{'PSS':>8}{'USS':>8}{'start':>9}")
    print(
        f"{'pycompose monitor':24}{ours['RSS']:8.2f}{ours['PSS']:8.2f}{ours['USS']:8.2f}"
        f"{ours_start * 1000:9.0f}"
    )
    print(
        f"{'conmon (+ crun)':24}{peer['RSS']:8.2f}{peer['PSS']:8.2f}{peer['USS']:8.2f}"
        f"{peer_start * 1000:9.0f}"
    )
    print(
        f"{'ratio':24}{ours['RSS'] / peer['RSS']:7.1f}x{ours['PSS'] / peer['PSS']:7.1f}x"
        f"{ours['USS'] / peer['USS']:7.1f}x{ours_start / peer_start:8.1f}x"
    )
    print(f"total for {count}: pycompose {ours['PSS'] * count:.0f} MiB PSS, "
          f"conmon {peer['PSS'] * count:.0f} MiB PSS")  # fmt: skip
    bare, site = interpreter_start()
    print(f"monitor interpreter start + imports: python -S {bare:.0f} ms, with site {site:.0f} ms")


if __name__ == "__main__":
    main()
