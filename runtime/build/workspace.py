"""A build's scratch space: step directories, overlay mounts of a state, and clean-up.

Each build that has to execute a step gets `<root>/tmp/build-<id>/`, locked
(flock) for as long as the build runs. A step mounts an overlay of the
state's snapshot directories with a fresh upper dir under it; the upper dir
is the step's layer. Everything a build makes on the host — mounts, the
directory, network namespace pins named after the build — is undone when
the build ends, whatever the way; a build killed outright (SIGKILL, power
loss) leaves a directory whose lock nobody holds, and the next build (or a
build-cache prune) sweeps it.
"""

from __future__ import annotations

import errno
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.containers.rootfs import RootfsDirs, is_mounted, mount_overlay
from runtime.errors import StoreError, SyscallError
from runtime.linux import syscalls
from runtime.store import FileLock, Store

PREFIX = "build-"


@dataclass(frozen=True)
class StepDirs(RootfsDirs):
    """One step's directories: RootfsDirs (init, upper, work, rootfs) plus bundle and files."""

    @property
    def bundle(self) -> Path:
        return self.base / "bundle"

    @property
    def files(self) -> Path:
        return self.base / "files"

    @property
    def empty(self) -> Path:
        """An empty lower dir, for a state with no layers (FROM scratch)."""
        return self.base / "empty"


def mount_points_under(directory: Path) -> list[str]:
    """Mount points at or below `directory` in this mount namespace, deepest first."""
    prefix = str(directory.resolve())
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            point = line.split()[4].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(directory: Path) -> None:
    """Unmount everything mounted at or under `directory` (lazily when busy)."""
    for point in mount_points_under(directory):
        try:
            syscalls.umount(point)
        except SyscallError as exc:
            if exc.errno == errno.EINVAL:
                continue
            syscalls.umount(point, syscalls.MNT_DETACH)


class Workspace:
    """The scratch directory of one running build; `close` removes all of it."""

    def __init__(self, store: Store, build_id: str | None = None):
        self.store = store
        self.id = build_id or secrets.token_hex(8)
        self.directory = store.layout.tmp / f"{PREFIX}{self.id}"
        self._lock: FileLock | None = None
        self._counter = 0
        self._cleanups: list[Callable[[], None]] = []

    def open(self) -> Workspace:
        """Create and lock the directory (sweeping dead builds' leftovers first)."""
        sweep(self.store)
        lock = self.store.lock(PREFIX + self.id)
        lock.acquire()
        self._lock = lock
        try:
            self.directory.mkdir(parents=True)
        except BaseException:
            self.close()
            raise
        return self

    def on_close(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` when the build ends (last registered, first run)."""
        self._cleanups.append(cleanup)

    def step_dirs(self, name: str) -> StepDirs:
        """A new, empty directory for one step (or one source mount)."""
        self._counter += 1
        dirs = StepDirs(self.directory / f"{self._counter:03d}-{name}")
        dirs.base.mkdir()
        return dirs

    def mount(self, dirs: StepDirs, lowers: Sequence[Path]) -> Path:
        """Mount lowers (lowest first) with `dirs.upper` on top at `dirs.merged`; return it."""
        for path in (dirs.upper, dirs.work, dirs.merged):
            path.mkdir(exist_ok=True)
        layers = [Path(p) for p in reversed(lowers)]
        if not layers:
            dirs.empty.mkdir(exist_ok=True)
            layers = [dirs.empty]
        mount_overlay(layers, dirs.upper, dirs.work, dirs.merged, dirs.links)
        return dirs.merged

    @staticmethod
    def unmount(dirs: StepDirs) -> None:
        """Unmount a step's overlay (and anything mounted below it)."""
        if is_mounted(dirs.merged):
            unmount_all(dirs.merged)

    @staticmethod
    def discard(dirs: StepDirs) -> None:
        """Unmount and delete a step's directories."""
        unmount_all(dirs.base)
        shutil.rmtree(dirs.base, ignore_errors=True)

    def close(self) -> None:
        """Undo everything: registered clean-ups, mounts, the directory, the lock."""
        errors: list[BaseException] = []
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception as exc:  # keep cleaning; report the first failure
                errors.append(exc)
        if self.directory.exists():
            unmount_all(self.directory)
            shutil.rmtree(self.directory, ignore_errors=True)
        if self._lock is not None:
            self._lock.path.unlink(missing_ok=True)
            self._lock.release()
            self._lock = None
        if errors:
            raise errors[0]


def _is_abandoned(store: Store, build_id: str) -> bool:
    lock = store.lock(PREFIX + build_id, timeout=0)
    try:
        lock.acquire()
    except StoreError:
        return False
    lock.path.unlink(missing_ok=True)
    lock.release()
    return True


def sweep(store: Store) -> list[str]:
    """Remove what builds that died without cleaning up left behind; return their ids."""
    tmp = store.layout.tmp
    if not tmp.exists():
        return []
    swept = []
    for entry in tmp.iterdir():
        if not entry.name.startswith(PREFIX) or not entry.is_dir():
            continue
        build_id = entry.name[len(PREFIX) :]
        if not _is_abandoned(store, build_id):
            continue
        _sweep_steps(store, build_id)
        unmount_all(entry)
        shutil.rmtree(entry, ignore_errors=True)
        swept.append(build_id)
    return swept


def _sweep_steps(store: Store, build_id: str) -> None:
    """A dead build's step containers and network namespaces."""
    from runtime.build.executor_network import sweep_networks
    from runtime.build.executor_run import sweep_containers

    sweep_containers(store, build_id)
    sweep_networks(store, build_id)
