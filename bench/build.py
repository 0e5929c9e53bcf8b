"""Image builds: a cold build and a no-change rebuild, `pycompose image build` vs `podman build`.

    sudo .venv/bin/python bench/build.py [--rounds 5] [--skip-flask]

Two Dockerfiles, both FROM debian:bookworm-slim (bootstrapped here from the
Debian archive, the same image loaded into both builders):
  twenty-step   a generated 20-step Dockerfile (WORKDIR, COPY, RUN, ENV, CMD),
                RUN steps with `--network none`
  flask-hello   examples/flask-hello: apt-get installs python3, pip installs
                Flask; RUN with `--network host`, so it needs the Debian
                archive and PyPI (skipped with --skip-flask or without them)
Cold: `--no-cache` (every step runs, the base is present). Rebuild: nothing
changed, so every step is a cache hit. Each is the whole command, process
start-up included, median of --rounds, the two builders taking turns.
podman (Debian's 4.3) runs with its storage in a temp dir, runc as its
runtime (its crun refuses this machine's hybrid cgroup layout) and the
ulimits root can grant here (no CAP_SYS_RESOURCE). The benchmark runs in a
private mount namespace; nothing it builds touches the network namespace.
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

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runtime.linux import syscalls  # noqa: E402

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")
BASE = "debian:bookworm-slim"
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""


def twenty_steps(directory: Path) -> Path:
    """A context with a 20-step Dockerfile: 1 FROM, WORKDIR, 6 COPY, 6 RUN, 6 ENV, CMD."""
    lines = [f"FROM {BASE}", "WORKDIR /app"]
    for index in range(6):
        part = directory / f"part{index}"
        part.mkdir(parents=True, exist_ok=True)
        for number in range(20):
            (part / f"file{number}.txt").write_text(f"part {index} file {number}\n" * 50)
        lines.append(f"COPY part{index}/ ./part{index}/")
        lines.append(f"RUN cat part{index}/*.txt | wc -l > /tmp/count{index}")
        lines.append(f"ENV STEP{index}=done")
    lines.append('CMD ["ls", "/app"]')
    assert len(lines) == 21  # FROM + 20 steps
    (directory / "Dockerfile").write_text("\n".join(lines) + "\n")
    return directory


def _run(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... failed:\n{result.stderr[-3000:]}")
    return elapsed


class Builders:
    """The two builders, each with its own storage under one temp dir."""

    def __init__(self, scratch: Path):
        self.ours_env = {**os.environ, "PYCOMPOSE_ROOT": str(scratch / "pycompose")}
        conf = scratch / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        storage = scratch / "storage.conf"
        storage.write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{scratch}/podman/graph"\n'
            f'runroot = "{scratch}/podman/run"\n'
        )
        self.podman_env = {
            **os.environ,
            "CONTAINERS_CONF": str(conf),
            "CONTAINERS_STORAGE_CONF": str(storage),
        }
        self.scratch = scratch

    def prepare_base(self) -> None:
        """Bootstrap the base into our store, then load the same image into podman's."""
        from runtime.store import Store
        from tests.support.images import debian_image

        store = Store.open(self.ours_env["PYCOMPOSE_ROOT"])
        # Where egress goes through a TLS-inspecting proxy, pip must trust its CA.
        debian_image(store, name=BASE, trust_host=True)
        archive = self.scratch / "base.tar"
        _run([PYCOMPOSE, "image", "save", "-o", str(archive), BASE], self.ours_env)
        _run(["podman", "load", "-q", "-i", str(archive)], self.podman_env)

    def ours(self, context: Path, network: str, *, cold: bool) -> float:
        argv = [PYCOMPOSE, "image", "build", "-q", "-t", "bench:1", "--network", network]
        return _run([*argv, *(["--no-cache"] if cold else []), str(context)], self.ours_env)

    def podman(self, context: Path, network: str, *, cold: bool) -> float:
        argv = ["podman", "build", "-q", "-t", "bench:1", "--network", network]
        return _run([*argv, *(["--no-cache"] if cold else []), str(context)], self.podman_env)


def _measure(
    rounds: int, builders: Builders, context: Path, network: str, *, cold: bool
) -> tuple[float, float]:
    """Median seconds of both builders, taking turns."""
    ours_times, podman_times = [], []
    for _ in range(rounds):
        ours_times.append(builders.ours(context, network, cold=cold))
        podman_times.append(builders.podman(context, network, cold=cold))
    return statistics.median(ours_times), statistics.median(podman_times)


def _online() -> bool:
    result = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "--max-time", "5", "http://deb.debian.org/debian/"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-flask", action="store_true")
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (builds mount overlays)")
    syscalls.unshare(syscalls.CLONE_NEWNS)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    scratch = Path(tempfile.mkdtemp(prefix="bench-build-"))
    builders = Builders(scratch)
    try:
        builders.prepare_base()
        workloads = [("twenty-step", twenty_steps(scratch / "twenty"), "none")]
        if options.skip_flask:
            print("flask-hello: skipped (--skip-flask)")
        elif not _online():
            print("flask-hello: skipped (the Debian archive is not reachable)")
        else:
            workloads.append(("flask-hello", REPO / "examples" / "flask-hello", "host"))
        rows = []
        for name, context, network in workloads:
            cold_rounds = options.rounds if name == "twenty-step" else max(1, options.rounds // 2)
            cold = _measure(cold_rounds, builders, context, network, cold=True)
            rebuild = _measure(options.rounds, builders, context, network, cold=False)
            rows.append((name, "cold (--no-cache)", cold))
            rows.append((name, "no-change rebuild", rebuild))
        print(f"median seconds ({options.rounds} rounds; cold flask builds: half as many)")
        print(f"{'workload':14} {'build':20} {'pycompose':>10} {'podman':>10} {'ratio':>7}")
        for name, what, (ours, podman) in rows:
            print(f"{name:14} {what:20} {ours:10.3f} {podman:10.3f} {ours / podman:6.2f}x")
        worst = max(ours for _, what, (ours, _) in rows if what.startswith("no-change"))
        print(
            f"no-change rebuild target < 0.5 s: {'met' if worst < 0.5 else 'MISSED'} ({worst:.3f} s)"
        )
    finally:
        subprocess.run(
            ["podman", "rmi", "-a", "-f"], env=builders.podman_env, capture_output=True, check=False
        )
        _unmount_under(scratch)
        shutil.rmtree(scratch, ignore_errors=True)


def _unmount_under(directory: Path) -> None:
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle]
    for point in sorted((p for p in points if p.startswith(str(directory))), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


if __name__ == "__main__":
    main()
