"""RUN --mount: bind (from the context, a stage or an image), cache, tmpfs, secret and ssh.

- `bind`: the source, read-only unless `rw` (writes are thrown away). From
  the context, only what the ignore file keeps is there: the selection is
  copied into the step's scratch space and bound from there.
- `cache`: a directory that outlives builds, one per `id` (default: the
  target) under `<root>/build-cache-mounts/`, made with `uid`/`gid`/`mode`;
  `sharing=locked` lets one step at a time use it. It never counts in a
  cache key and never lands in a layer, as with BuildKit.
- `tmpfs`: an empty tmpfs (with `size`).
- `secret`, `ssh`: this builder takes no secrets or agents: a required one
  is an error, an optional one is left out.

Mount points that the image lacks are made in the step's init layer, so
they never show up in the step's layer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from runtime.build.errors import BuildError
from runtime.build.executor_copy import CopyTarget, copy_selection
from runtime.build.mounts import BIND, CACHE, SECRET, SSH, TMPFS, Mount
from runtime.build.planner import Source
from runtime.build.source_trees import RootfsTree, SourceTree, select_sources
from runtime.build.steps import RunAction
from runtime.build.workspace import StepDirs
from runtime.oci import spec as oci
from runtime.store import Store

CACHE_MOUNTS = "build-cache-mounts"
# Open a source stage's (or image's) root: its mount point, valid while the stack lives.
SourceRoot = Callable[[Source, ExitStack], Path]


def cache_mount_dir(store: Store, mount: Mount) -> Path:
    """The persistent directory of a cache mount (made on first use)."""
    identity = mount.cache_id or mount.target
    name = hashlib.sha256(identity.encode()).hexdigest()[:32]
    directory = store.layout.root / CACHE_MOUNTS / name
    if not directory.is_dir():
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(directory, mount.mode if mount.mode is not None else 0o755)
        os.chown(directory, mount.uid or 0, mount.gid or 0)
    return directory


def _stub(init: Path, target: str, as_file: bool) -> None:
    """Make the mount point in the init layer (never part of the step's layer)."""
    relative = target.strip("/")
    if not relative:
        return
    path = init / relative
    if as_file:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    else:
        path.mkdir(parents=True, exist_ok=True)


class RunMounts:
    """The OCI mounts of one RUN step's `--mount`s; clean-up on the given ExitStack."""

    def __init__(self, store: Store, context_tree: SourceTree, source_root: SourceRoot):
        self.store = store
        self.context_tree = context_tree
        self.source_root = source_root

    def prepare(self, action: RunAction, dirs: StepDirs, stack: ExitStack) -> list[oci.Mount]:
        found: list[oci.Mount] = []
        for index, (mount, source) in enumerate(
            zip(action.mounts, action.mount_sources, strict=True)
        ):
            made = self._one(mount, source, dirs, index, stack)
            if made is not None:
                found.append(made)
        return found

    def _one(
        self, mount: Mount, source: Source | None, dirs: StepDirs, index: int, stack: ExitStack
    ) -> oci.Mount | None:
        target = mount.target
        if mount.type in (SECRET, SSH):
            if mount.required:
                name = mount.cache_id or mount.source or target
                raise BuildError(f"{mount.type} {name} is required but this builder has none")
            return None
        if not target.startswith("/"):
            raise BuildError(f"mount target {target!r} must be an absolute path")
        if mount.type == TMPFS:
            _stub(dirs.init, target, as_file=False)
            options = ["nosuid", "nodev"]
            if mount.size_limit:
                options.append(f"size={mount.size_limit}")
            return oci.Mount(target, "tmpfs", "tmpfs", options)
        if mount.type == CACHE:
            if mount.source_stage:
                raise BuildError("RUN --mount=type=cache,from=... is not supported by this builder")
            directory = cache_mount_dir(self.store, mount)
            if mount.sharing == "locked":
                lock = self.store.lock(f"{CACHE_MOUNTS}-{directory.name}")
                stack.enter_context(lock)
            _stub(dirs.init, target, as_file=False)
            return oci.Mount(target, "bind", str(directory), _bind_options(mount.read_only))
        if mount.type != BIND:
            raise BuildError(f"RUN --mount=type={mount.type} is not supported by this builder")
        host = self._bind_source(mount, source, dirs, index, stack)
        _stub(dirs.init, target, as_file=not host.is_dir())
        return oci.Mount(target, "bind", str(host), _bind_options(mount.read_only))

    def _bind_source(
        self, mount: Mount, source: Source | None, dirs: StepDirs, index: int, stack: ExitStack
    ) -> Path:
        if source is not None:
            tree = RootfsTree(self.source_root(source, stack))
            selected = select_sources(tree, mount.source or "/")
            if len(selected) != 1:
                raise BuildError(f"mount source {mount.source!r} must name one path")
            return tree.root / selected[0].path
        # The context as the build sees it: copied, so excluded files stay out.
        copy = dirs.base / f"mount-{index}"
        copy.mkdir()
        selected = select_sources(self.context_tree, mount.source or "/")
        if len(selected) == 1 and not selected[0].is_dir:
            item = selected[0]
            copy_selection(self.context_tree, selected, "/", CopyTarget(copy), many=True)
            return copy / item.name
        copy_selection(self.context_tree, selected, "/", CopyTarget(copy), many=True)
        return copy


def _bind_options(read_only: bool) -> list[str]:
    return ["rbind", "ro" if read_only else "rw"]
