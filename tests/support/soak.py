"""Soak and concurrency runs through `pycompose`: projects brought up and down many times, at
once, and exec storms; the long-lived processes (monitors, the DNS responder) watched for
growing memory and leaked descriptors.

    report = up_down_cycles(apps, cycles=50)   # len(apps) projects at once, 50 rounds
    report = exec_storm(app, execs=200)
    assert report.failures == [] and report.residue == [] and report.growth_ok

Every run keeps one "anchor" project up throughout, so a monitor and the DNS
responder live from the first cycle to the last and can be measured.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.support.compose_apps import IDLE, ComposeApp
from tests.support.residue import residue

# Growth allowed over a whole run: RSS of a process settles after warm-up (allocator pools,
# imported modules); a leak of a few hundred bytes per cycle shows over hundreds of cycles.
RSS_GROWTH_LIMIT_KB = 2048

PROJECT = f"""
services:
  web:
    image: busybox
    command: {IDLE}
    ports: ["{{port}}:80"]
  db:
    image: busybox
    command: {IDLE}
    volumes: [data:/data]
volumes:
  data: {{{{}}}}
"""
ANCHOR = f"""
services:
  anchor:
    image: busybox
    command: {IDLE}
"""


@dataclass(frozen=True)
class ProcessSample:
    """Resident memory (kB) and open descriptors of one process."""

    pid: int
    rss_kb: int
    fds: int

    @classmethod
    def of(cls, pid: int) -> ProcessSample:
        rss = 0
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        return cls(pid, rss, len(os.listdir(f"/proc/{pid}/fd")))


@dataclass
class SoakReport:
    """What a run did and found."""

    cycles: int = 0
    failures: list[str] = field(default_factory=list)
    residue: list[str] = field(default_factory=list)
    before: dict[str, ProcessSample] = field(default_factory=dict)
    after: dict[str, ProcessSample] = field(default_factory=dict)

    def growth(self) -> list[str]:
        """Sentences for each long-lived process whose descriptors or memory grew."""
        found = []
        for name, first in self.before.items():
            last = self.after.get(name)
            if last is None or last.pid != first.pid:
                found.append(f"{name}: process {first.pid} did not live through the run")
                continue
            if last.fds > first.fds:
                found.append(f"{name}: descriptors {first.fds} -> {last.fds}")
            if last.rss_kb - first.rss_kb > RSS_GROWTH_LIMIT_KB:
                found.append(f"{name}: RSS {first.rss_kb} kB -> {last.rss_kb} kB")
        return found


def project_apps(anchor: ComposeApp, count: int) -> list[ComposeApp]:
    """`count` projects sharing the anchor's engine root, each in its own directory."""
    apps = []
    for number in range(count):
        directory = anchor.directory.parent / f"project{number}"
        directory.mkdir(exist_ok=True)
        made = ComposeApp(directory, anchor.layout, anchor.store, dict(anchor.env))
        made.write(PROJECT.format(port=18080 + number))
        apps.append(made)
    return apps


def long_lived(anchor: ComposeApp) -> dict[str, ProcessSample]:
    """The anchor's monitor and the root's DNS responder, sampled."""
    samples = {"monitor": ProcessSample.of(anchor.container("anchor").state.monitor_pid)}
    pid_file = anchor.layout.run_root / "network" / "dns.pid"
    if pid_file.exists():
        samples["dns responder"] = ProcessSample.of(int(pid_file.read_text().split()[0]))
    return samples


def start_anchor(anchor: ComposeApp) -> None:
    anchor.write(ANCHOR)
    anchor.run("up", "-d")


def _cycle(app: ComposeApp) -> str | None:
    up = app.run("up", "-d", check=False)
    if up.returncode != 0:
        return f"{app.directory.name}: up failed: {up.stderr[-300:]}"
    states = app.states()
    if states != {"web-1": "running", "db-1": "running"}:
        return f"{app.directory.name}: after up {states}"
    down = app.run("down", "-v", "-t", "1", check=False)
    if down.returncode != 0:
        return f"{app.directory.name}: down failed: {down.stderr[-300:]}"
    return None


def up_down_cycles(anchor: ComposeApp, projects: int, cycles: int) -> SoakReport:
    """`projects` projects brought up and down together, `cycles` times; the anchor stays up."""
    report = SoakReport()
    apps = project_apps(anchor, projects)
    start_anchor(anchor)
    # One warm-up round before the first sample: the responder starts with the first network.
    report.failures += [f for f in map(_cycle, apps) if f]
    report.before = long_lived(anchor)
    with ThreadPoolExecutor(max_workers=projects) as pool:
        for round_number in range(cycles):
            failed = [f for f in pool.map(_cycle, apps) if f]
            report.failures += [f"cycle {round_number}: {f}" for f in failed]
            report.cycles += len(apps)
    report.after = long_lived(anchor)
    report.residue = residue(anchor.layout)
    return report


def exec_storm(anchor: ComposeApp, execs: int, parallel: int = 50) -> SoakReport:
    """`execs` execs into the anchor, `parallel` at a time."""
    report = SoakReport()
    start_anchor(anchor)
    anchor.run("exec", "-T", "anchor", "true")  # warm-up
    report.before = long_lived(anchor)

    def one(number: int) -> str | None:
        result = anchor.run("exec", "-T", "anchor", "echo", str(number), check=False)
        if result.returncode != 0 or result.stdout != f"{number}\n":
            return f"exec {number}: exit {result.returncode}: {result.stderr[-200:]}"
        return None

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        report.failures += [f for f in pool.map(one, range(execs)) if f]
    report.cycles = execs
    report.after = long_lived(anchor)
    report.residue = residue(anchor.layout)
    return report


def stop_anchor(anchor: ComposeApp) -> list[str]:
    """Take the anchor down; the root's residue afterwards."""
    anchor.run("down", "-v", "-t", "1")
    return residue(anchor.layout)
