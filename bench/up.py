"""`up -d`, a no-change `up -d`, `ps` and `down` of 1, 10 and 50 services: pycompose vs podman-compose.

    sudo .venv/bin/python bench/up.py [--sizes 1,10,50] [--rounds 3]

Both drive the same Compose file of busybox services (PID 1 a shell that
exits on SIGTERM), with the image already present on both sides: pycompose's
busybox image is saved (`pycompose image save`) and loaded into podman
(`podman load`). podman-compose drives Debian's podman 4.3 with its own
storage and containers.conf under a temporary directory (root lacks
CAP_SYS_RESOURCE here, so the default ulimits are lowered to what it may
set). Everything runs in a private network and mount namespace the script
makes for itself (the hybrid cgroup2 mount is hidden in it: crun 1.8 refuses
it). Rounds alternate which side goes first; medians are printed with the
ratio podman-compose / pycompose (above 1: pycompose is faster).
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

PRIVATE_ENV = "PYCOMPOSE_BENCH_PRIVATE"
PODMAN_COMPOSE_ENV = "PYCOMPOSE_BENCH_PODMAN_COMPOSE"
IDLE = '["sh", "-c", "trap \'exit 0\' TERM; sleep 100000 & wait"]'
CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=20000:20000","nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
"""
OPERATIONS = ("up -d", "up -d (no change)", "ps", "down")


def podman_compose() -> str:
    """podman-compose from PATH or next to this interpreter, else installed into a temp venv
    (this needs PyPI, so it runs before the script leaves the machine's network)."""
    for candidate in (
        Path(sys.executable).parent / "podman-compose",
        shutil.which("podman-compose"),
    ):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    venv = Path(tempfile.gettempdir()) / "pycompose-bench-podman-compose"
    binary = venv / "bin" / "podman-compose"
    if not binary.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "podman-compose"], check=True)
    return str(binary)


def compose_file(count: int) -> str:
    lines = ["services:"]
    for number in range(1, count + 1):
        lines += [f"  s{number}:", "    image: busybox:latest", f"    command: {IDLE}"]
    return "\n".join(lines) + "\n"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


class Side:
    """One tool: how to run each operation, and its environment."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.command = command
        self.env = env

    def run(self, operation: str, directory: Path) -> float:
        verb = {
            "up -d": ["up", "-d"],
            "up -d (no change)": ["up", "-d"],
            "ps": ["ps"],
            "down": ["down"],
        }[operation]
        return timed([*self.command, *verb], directory, self.env)


def prepare(work: Path, tool: str) -> tuple[Side, Side]:
    from runtime.store import Layout, Store
    from tests.support.images import busybox_image

    root, run_root = work / "pycompose-root", work / "pycompose-run"
    busybox_image(Store(Layout(root=root, run_root=run_root)))
    base_env = {"PATH": os.environ["PATH"], "HOME": str(work)}
    ours = Side(
        "pycompose",
        [str(Path(sys.executable).parent / "pycompose")],
        {**base_env, "PYCOMPOSE_ROOT": str(root), "PYCOMPOSE_RUN_ROOT": str(run_root)},
    )
    archive = work / "busybox.tar"
    subprocess.run(
        [*ours.command, "image", "save", "-o", str(archive), "busybox:latest"],
        env=ours.env,
        check=True,
    )
    conf = work / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    storage = work / "storage.conf"
    storage.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{work}/podman-storage"\n'
        f'runroot = "{work}/podman-run"\n'
    )
    podman_env = {**base_env, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage)}
    subprocess.run(
        ["podman", "load", "-q", "-i", str(archive)],
        env=podman_env,
        check=True,
        capture_output=True,
    )
    return ours, Side("podman-compose", [tool], podman_env)


def bench(sizes: list[int], rounds: int, tool: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-up-"))
    cgroups_before = set(Path("/sys/fs/cgroup").glob("*/libpod_parent"))
    sides: tuple[Side, Side] | None = None
    try:
        sides = prepare(work, tool)
        results: dict[tuple[int, str, str], list[float]] = {}
        for count in sizes:
            directory = work / f"bench{count}"
            directory.mkdir()
            (directory / "compose.yaml").write_text(compose_file(count))
            for round_number in range(rounds):
                order = sides if round_number % 2 == 0 else sides[::-1]
                for side in order:
                    for operation in OPERATIONS:
                        elapsed = side.run(operation, directory)
                        results.setdefault((count, operation, side.name), []).append(elapsed)
        report(sizes, results)
    finally:
        cleanup(work, sides, cgroups_before)


def report(sizes: list[int], results: dict[tuple[int, str, str], list[float]]) -> None:
    print(
        f"{'services':>8}  {'operation':<18} {'pycompose':>10} {'podman-compose':>15} {'ratio':>7}"
    )
    for count in sizes:
        for operation in OPERATIONS:
            ours = statistics.median(results[count, operation, "pycompose"])
            theirs = statistics.median(results[count, operation, "podman-compose"])
            print(
                f"{count:>8}  {operation:<18} {ours:>9.3f}s {theirs:>14.3f}s {theirs / ours:>6.1f}x"
            )


def cleanup(work: Path, sides: tuple[Side, Side] | None, cgroups_before: set[Path]) -> None:
    if sides is not None:
        ours, theirs = sides
        for directory in work.glob("bench*"):
            subprocess.run(
                [*ours.command, "down", "-v", "-t", "1"],
                cwd=directory,
                env=ours.env,
                capture_output=True,
                check=False,
            )
        subprocess.run(
            ["podman", "system", "reset", "-f"], env=theirs.env, capture_output=True, check=False
        )
        from runtime.store import Layout
        from tests.support.bundles import remove_cgroup_parent

        remove_cgroup_parent(Layout.from_env(ours.env["PYCOMPOSE_ROOT"]).instance_name)
    for parent in set(Path("/sys/fs/cgroup").glob("*/libpod_parent")) - cgroups_before:
        for directory in sorted(parent.rglob("*"), key=lambda p: -len(p.parts)):
            if directory.is_dir():
                try:
                    directory.rmdir()
                except OSError:
                    pass
        try:
            parent.rmdir()
        except OSError:
            pass
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10,50", help="service counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (median)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/up.py needs root (it makes a private network namespace)")
    if os.environ.get(PRIVATE_ENV) != "1":
        tool = podman_compose()
        argv = [
            "unshare",
            "--net",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            *sys.argv,
        ]
        env = {**os.environ, PRIVATE_ENV: "1", PODMAN_COMPOSE_ENV: tool}
        raise SystemExit(subprocess.run(argv, env=env, check=False).returncode)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    if os.path.ismount("/sys/fs/cgroup/unified"):
        subprocess.run(["umount", "/sys/fs/cgroup/unified"], check=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    bench(sizes, args.rounds, os.environ[PODMAN_COMPOSE_ENV])


if __name__ == "__main__":
    main()
