"""What an engine root may leave on the machine, and the check that it left nothing.

After `down -v` (or any test that removes what it made) nothing of the root
may remain: no mount under it, no cgroup under its instance name, no pinned
network namespace, no link but loopback in the test's network namespace, no
nftables table of its own, no process whose command line or environment names
the root, no runtime directory of a container. `residue()` lists what it
finds, as sentences a failing assertion prints.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from runtime.store import Layout

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _mounts_under(paths: tuple[Path, ...]) -> list[str]:
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            point = line.split()[4]
            if any(point == str(p) or point.startswith(f"{p}/") for p in paths):
                found.append(point)
    return found


def _cgroups(instance: str) -> list[str]:
    found = []
    if not CGROUP_ROOT.is_dir():
        return found
    for hierarchy in CGROUP_ROOT.iterdir():
        parent = hierarchy / instance
        if parent.is_dir():
            found += [str(child) for child in parent.iterdir() if child.is_dir()]
    return found


def _links() -> list[str]:
    result = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True)
    names = [
        line.split(": ")[1].split("@")[0] for line in result.stdout.splitlines() if ": " in line
    ]
    return [name for name in names if name != "lo"]


def _nft_tables(instance: str) -> list[str]:
    result = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line.split()[-1:] == [instance]]


def _processes(needle: str) -> list[str]:
    found = []
    mine = {os.getpid(), os.getppid()}
    encoded = needle.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if encoded in cmdline or encoded in environ:
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name}: {command}")
    return found


def _entries(directory: Path) -> list[str]:
    return sorted(str(p) for p in directory.iterdir()) if directory.is_dir() else []


def residue(layout: Layout, *, check_links: bool = True) -> list[str]:
    """Everything of the engine root `layout` still on the machine, one sentence each."""
    problems = []
    for point in _mounts_under((layout.root, layout.run_root)):
        problems.append(f"mount left: {point}")
    for cgroup in _cgroups(layout.instance_name):
        problems.append(f"cgroup left: {cgroup}")
    for pin in _entries(layout.run_root / "netns"):
        problems.append(f"network namespace pin left: {pin}")
    if check_links:
        for link in _links():
            problems.append(f"network link left: {link}")
    for table in _nft_tables(layout.instance_name):
        problems.append(f"nftables table left: {table}")
    for process in _processes(str(layout.root)):
        problems.append(f"process left: {process}")
    for directory in _entries(layout.run_containers):
        if Path(directory).is_dir():
            problems.append(f"container runtime directory left: {directory}")
    return problems


def assert_no_residue(layout: Layout, *, check_links: bool = True) -> None:
    """Fail with the list of what the root left behind, if anything."""
    problems = residue(layout, check_links=check_links)
    assert not problems, "left behind:\n" + "\n".join(problems)
