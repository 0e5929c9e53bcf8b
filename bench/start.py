"""Container start-up: create + start + wait of `/bin/true`, pycompose vs crun and runc.

    sudo .venv/bin/python bench/start.py [--runs 30]

One busybox bundle (overlay rootfs, Docker's default config with its seccomp
profile, cgroup limits, own network namespace with loopback only) is run by:
  library   EmbeddedRuntime.run in this process (fork, no Python start-up)
  command   `pycompose-runtime run` (a new Python process each time)
  crun      `crun run`
  runc      `runc run`
Each is timed end to end (until the container is deleted), median of --runs
after warm-up runs, the four taking turns so that load from elsewhere hits all alike. The whole benchmark runs in a private mount namespace
where /sys/fs/cgroup/unified is unmounted, since crun 1.8 refuses the hybrid
layout; all four runtimes see the same mounts.
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.containers.spec import ContainerSpec, Resources  # noqa: E402
from runtime.linux import syscalls  # noqa: E402
from runtime.oci.runtime import EmbeddedRuntime  # noqa: E402
from tests.support.bundles import make_bundle, remove_cgroup_parent  # noqa: E402
from tests.support.rootfs import make_busybox_rootfs  # noqa: E402

RUNTIME_CLI = str(Path(sys.executable).parent / "pycompose-runtime")


def enter_benchmark_namespace() -> None:
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    if os.path.ismount("/sys/fs/cgroup/unified"):
        syscalls.umount("/sys/fs/cgroup/unified")


def timed(
    actions: dict[str, Callable[[], None]], runs: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Run the actions round-robin (so load changes hit all alike); milliseconds per run."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for index in range(warmup + runs):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            if index >= warmup:
                samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("start.py needs root")
    enter_benchmark_namespace()
    work = Path(tempfile.mkdtemp(prefix="bench-start-"))
    try:
        layer = make_busybox_rootfs(work / "layer")
        spec = ContainerSpec(
            name="bench", command=("/bin/true",), resources=Resources(pids_limit=100)
        )
        made = make_bundle(work, [layer], spec, "bench", "pycompose-bench")
        library = EmbeddedRuntime(work / "state-library")
        counter = iter(range(10**9))

        def run_library() -> None:
            status = library.run(f"lib{next(counter)}", made.path, stdio=(0, 1, 2))
            assert status.code == 0, status

        def command(argv: list[str]) -> Callable[[], None]:
            def run() -> None:
                subprocess.run([*argv, f"c{next(counter)}"], cwd=made.path, check=True)

            return run

        peers: dict[str, Callable[[], None]] = {
            "library": run_library,
            "command": command([RUNTIME_CLI, "--root", str(work / "state-cli"), "run"]),
        }
        for name in ("crun", "runc"):
            if shutil.which(name):
                peers[name] = command([name, "--root", str(work / f"state-{name}"), "run"])
        medians = {}
        for name, samples in timed(peers, args.runs).items():
            medians[name] = statistics.median(samples)
            print(
                f"{name:8} median {medians[name]:7.2f} ms   "
                f"p10 {sorted(samples)[len(samples) // 10]:7.2f}   max {max(samples):7.2f}   "
                f"({args.runs} runs)"
            )
        print()
        for name in ("library", "command"):
            ratios = [
                f"{medians[name] / medians[p]:.2f}x {p}" for p in ("crun", "runc") if p in medians
            ]
            print(f"{name:8} = " + ", ".join(ratios))
        made.remove()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        remove_cgroup_parent("pycompose-bench")  # crun and runc leave it behind


if __name__ == "__main__":
    main()
