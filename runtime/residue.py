"""Residue: what an engine root owns on the machine that nothing in its store explains.

    found = find_residue(store)          # [] when the root is clean
    for item in found: print(item.line)  # "mount: /var/lib/pycompose/containers/<id>/rootfs"

What a root owns, and what explains each piece:

- mounts under the root and its runtime root: an existing container (its id in
  the path), a container's network namespace pin, or a build that is running;
- cgroups under the root's instance name: an existing container, or a running build;
- pinned network namespaces (`<run root>/netns/<key>`): a container's sandbox pin;
- links named like the engine's (bridges `pcb…`, host veth ends `pcv…`) in this
  network namespace: a network's bridge or an endpoint's veth of this root;
- the nftables table named after the instance, and the per-namespace forwarding
  record naming it: at least one network;
- processes naming the root (monitors, the DNS responder, leftovers of a killed
  command): a container's monitor or process, the responder while networks exist;
  running `pycompose` commands are not residue;
- lock files: the container, build or project they are named after (a lock that
  someone holds is in use, never residue);
- files of the runtime root and container directories of the root: an existing
  container, a network (the responder's files), a running build.

A build is running while someone holds its lock (`build-<id>`). Nothing here
changes the machine: a held lock is probed with a non-blocking flock.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from runtime.store import Store
from runtime.store.scratch import abandoned_scratch

CGROUP_ROOT = Path("/sys/fs/cgroup")
BRIDGE_PREFIX = "pcb"
VETH_PREFIX = "pcv"
BUILD_RE = re.compile(r"build-([0-9a-f]{8,64})")
ID_RE = re.compile(r"[0-9a-f]{64}")
# Locks of the whole root, not of one object: fixed names, and prefixes keyed by content.
ROOT_LOCKS = ("containers", "images", "network")
CONTENT_LOCK_PREFIXES = ("snapshot-", "blob-", "cache-mount")
# Entries of the runtime root that belong to the root as a whole.
RUNTIME_DIRS = ("containers", "oci", "crun", "runc", "network", "netns", "locks", "build-runtime")
RUNTIME_SHARED_FILES = ("events", ".seccomp")
# Programs of `pycompose` commands (a running command is not residue).
COMMANDS = ("pycompose", "pycompose-runtime")


@dataclass(frozen=True)
class Residue:
    """One thing the root left on the machine: its kind and where it is."""

    kind: str
    item: str

    @property
    def line(self) -> str:
        return f"{self.kind}: {self.item}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Explanations:
    """What the store (and running builds) account for."""

    containers: set[str]
    pins: set[str]
    live: dict[str, tuple[int, int]]  # container id -> (pid, monitor pid)
    bridges: set[str]
    veths: set[str]
    networks: int
    projects: set[str]
    volumes: set[str]
    builds: set[str]

    def names_container(self, text: str) -> bool:
        return any(found in self.containers for found in ID_RE.findall(text))

    def names_build(self, text: str) -> bool:
        return any(found in self.builds for found in BUILD_RE.findall(text))

    def explains_path(self, text: str) -> bool:
        return text in self.pins or self.names_container(text) or self.names_build(text)


def _rows(store: Store, sql: str) -> list[sqlite3.Row]:
    """Rows of a query, none when the component's table was never made."""
    try:
        return store.db.query(sql)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


def _is_held(path: Path) -> bool:
    """Whether some process holds the flock on `path` (probed without waiting)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _running_builds(store: Store) -> set[str]:
    builds = set()
    for lock in store.layout.locks.glob("build-*.lock"):
        if _is_held(lock):
            builds.add(lock.name[len("build-") : -len(".lock")])
    return builds


def explanations(store: Store) -> Explanations:
    """Everything the store of `store` accounts for, read in one pass."""
    containers: set[str] = set()
    pins: set[str] = set()
    live: dict[str, tuple[int, int]] = {}
    for row in _rows(store, "SELECT id, sandbox, resolved, pid, monitor_pid FROM containers"):
        containers.add(row["id"])
        live[row["id"]] = (row["pid"], row["monitor_pid"])
        if row["sandbox"]:
            pins.add(row["sandbox"])
        try:
            pin = json.loads(row["resolved"]).get("sandbox", {}).get("pin")
        except (ValueError, AttributeError):
            pin = None
        if pin:
            pins.add(str(pin))
    projects = {
        row["value"]
        for row in _rows(
            store,
            "SELECT value FROM container_labels WHERE key = 'com.docker.compose.project'",
        )
    }
    networks = _rows(store, "SELECT name, bridge, labels FROM networks")
    volumes = _rows(store, "SELECT name, labels FROM volumes")
    for row in [*networks, *volumes]:
        try:
            project = json.loads(row["labels"]).get("com.docker.compose.project")
        except (ValueError, AttributeError):
            project = None
        if project:
            projects.add(str(project))
    return Explanations(
        containers=containers,
        pins=pins,
        live=live,
        bridges={row["bridge"] for row in networks},
        veths={row["host_ifname"] for row in _rows(store, "SELECT host_ifname FROM endpoints")},
        networks=len(networks),
        projects=projects,
        volumes={row["name"] for row in volumes},
        builds=_running_builds(store),
    )


def _mounts(store: Store, known: Explanations) -> Iterator[Residue]:
    layout = store.layout
    prefixes = (f"{layout.root}/", f"{layout.run_root}/")
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        points = [line.split()[4] for line in handle]
    for point in points:
        if point.startswith(prefixes) and not known.explains_path(point):
            yield Residue("mount", point)


def _cgroups(store: Store, known: Explanations) -> Iterator[Residue]:
    if not CGROUP_ROOT.is_dir():
        return
    for hierarchy in sorted(CGROUP_ROOT.iterdir()):
        parent = hierarchy / store.layout.instance_name
        if not parent.is_dir():
            continue
        for child in sorted(parent.iterdir()):
            if child.is_dir() and not known.explains_path(child.name):
                yield Residue("cgroup", str(child))


def _pins(store: Store, known: Explanations) -> Iterator[Residue]:
    directory = store.layout.run_root / "netns"
    if directory.is_dir():
        for pin in sorted(directory.iterdir()):
            if not known.explains_path(str(pin)):
                yield Residue("network namespace", str(pin))


def _links(known: Explanations) -> Iterator[Residue]:
    try:
        with open("/proc/thread-self/net/dev", encoding="ascii") as handle:
            names = [line.split(":", 1)[0].strip() for line in handle.readlines()[2:]]
    except OSError:
        return
    for name in sorted(names):
        if (name.startswith(BRIDGE_PREFIX) and name not in known.bridges) or (
            name.startswith(VETH_PREFIX) and name not in known.veths
        ):
            yield Residue("link", name)


def _nftables(store: Store, known: Explanations) -> Iterator[Residue]:
    if known.networks:
        return
    table = store.layout.instance_name
    try:
        result = subprocess.run(
            ["nft", "list", "tables"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return
    for line in result.stdout.splitlines():
        if line.split()[-1:] == [table]:
            yield Residue("nftables table", line.strip())


def _forwarding(store: Store, known: Explanations) -> Iterator[Residue]:
    if known.networks:
        return
    from runtime.network import forwarding

    try:
        path = forwarding.record_path()
        users = json.loads(path.read_text()).get("users", [])
    except (OSError, ValueError, AttributeError):
        return
    if store.layout.instance_name in users:
        yield Residue("forwarding record", f"{path} names {store.layout.instance_name}")


def _ancestors() -> set[int]:
    found = set()
    pid = os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def _is_command(argv: list[bytes]) -> bool:
    """Whether a command line is a `pycompose` (or `pycompose-runtime`) command's."""
    words = [os.path.basename(word.decode(errors="replace")) for word in argv[:3]]
    if words and words[0] in COMMANDS:
        return True
    if len(words) > 1 and words[0].startswith("python"):
        return words[1] in COMMANDS or words[1:3] == ["-m", "orchestrator"]
    return False


def _processes(store: Store, known: Explanations) -> Iterator[Residue]:
    needles = (str(store.layout.root).encode(), str(store.layout.run_root).encode())
    mine = _ancestors()
    listed = {pid for pair in known.live.values() for pid in pair if pid}
    responder = store.layout.run_root / "network"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine or int(entry.name) in listed:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if not any(needle in cmdline or needle in environ for needle in needles):
            continue
        command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
        if not command:
            continue  # a zombie, or a kernel thread
        if known.names_container(command) or known.names_build(command):
            continue
        if str(responder) in command and known.networks:
            continue
        if _is_command(cmdline.split(b"\0")):
            continue  # a pycompose command at work
        yield Residue("process", f"{entry.name} {command}")


def _locks(store: Store, known: Explanations) -> Iterator[Residue]:
    directory = store.layout.locks
    if not directory.is_dir():
        return
    for lock in sorted(directory.iterdir()):
        name = lock.name.removesuffix(".lock")
        if name in ROOT_LOCKS or name.startswith(CONTENT_LOCK_PREFIXES):
            continue
        if name.startswith("container-") and name[len("container-") :] in known.containers:
            continue
        if name.startswith("project-") and name[len("project-") :] in known.projects:
            continue
        if _is_held(lock):
            continue
        yield Residue("lock", str(lock))


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.is_dir() else []


def _runtime_files(store: Store, known: Explanations) -> Iterator[Residue]:
    layout = store.layout
    for entry in _entries(layout.run_root):
        if entry.name not in RUNTIME_DIRS:
            yield Residue("file", str(entry))
    for name in ("containers", "oci", "crun", "runc", "build-runtime"):
        for entry in _entries(layout.run_root / name):
            if entry.name in RUNTIME_SHARED_FILES or known.explains_path(str(entry)):
                continue
            yield Residue("file", str(entry))
    if not known.networks:
        for entry in _entries(layout.run_root / "network"):
            yield Residue("file", str(entry))


def _root_files(store: Store, known: Explanations) -> Iterator[Residue]:
    layout = store.layout
    for entry in _entries(layout.containers):
        if not known.explains_path(str(entry)):
            yield Residue("container directory", str(entry))
    for entry in _entries(layout.volumes):
        if entry.is_dir() and entry.name not in known.volumes:
            yield Residue("volume directory", str(entry))
    for entry in _entries(layout.tmp):
        if BUILD_RE.fullmatch(entry.name) and not known.names_build(entry.name):
            yield Residue("file", str(entry))
    for entry in abandoned_scratch(layout):
        yield Residue("file", str(entry))


def find_residue(store: Store, *, links: bool = True) -> list[Residue]:
    """Everything of `store`'s root on the machine that its store does not explain.

    `links=False` leaves out the network devices of this namespace (for callers
    sharing the namespace with other engine roots, whose devices look alike).
    """
    known = explanations(store)
    found = [
        *_mounts(store, known),
        *_cgroups(store, known),
        *_pins(store, known),
        *(_links(known) if links else ()),
        *_nftables(store, known),
        *_forwarding(store, known),
        *_processes(store, known),
        *_locks(store, known),
        *_runtime_files(store, known),
        *_root_files(store, known),
    ]
    return found
