"""Where COPY and ADD read from: the build context, or the root of another stage or image.

A tree answers `lstat`, `children` and `host_path` for slash paths relative
to its root (`""` is the root). The context tree sees only what the ignore
file keeps; a rootfs tree sees a mounted stage or image. `select_sources`
applies a source as written — a path or a Go filepath.Match wildcard — and
follows a symlink named at the top level within the tree, as BuildKit does.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.build.build_context import BuildContext
from runtime.build.dockerignore import clean_path, filepath_match
from runtime.build.errors import BuildError
from runtime.linux.securepath import resolve_in_root

_WILDCARD = frozenset("*?[\\")


class SourceTree(Protocol):
    """A directory tree COPY can read, seen through its own rules."""

    root: Path

    def lstat(self, path: str) -> os.stat_result | None:
        """The entry's status (links not followed), None if absent or hidden."""

    def children(self, path: str) -> list[str]:
        """Names in a directory, sorted."""


def host_path(tree: SourceTree, path: str) -> Path:
    """The host path of a tree entry (whose parents are real directories)."""
    return tree.root / path if path else tree.root


class ContextTree:
    """The build context minus what .dockerignore excludes (walked once)."""

    def __init__(self, context: BuildContext):
        self.root = context.root
        self.context = context
        self._entries: dict[str, os.stat_result] | None = None
        self._children: dict[str, list[str]] = {}

    def _load(self) -> dict[str, os.stat_result]:
        if self._entries is None:
            entries = {"": os.lstat(self.root)}
            children: dict[str, list[str]] = {}
            for entry in self.context.walk():
                entries[entry.path] = entry.status
                parent, _, name = entry.path.rpartition("/")
                children.setdefault(parent, []).append(name)
            self._entries = entries
            self._children = children
        return self._entries

    def lstat(self, path: str) -> os.stat_result | None:
        return self._load().get(path)

    def children(self, path: str) -> list[str]:
        self._load()
        return self._children.get(path, [])


class RootfsTree:
    """A mounted root filesystem (another stage or an image), read as it is."""

    def __init__(self, root: Path):
        self.root = root

    def lstat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(host_path(self, path))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def children(self, path: str) -> list[str]:
        return sorted(os.listdir(host_path(self, path)), key=os.fsencode)


@dataclass(frozen=True)
class Selected:
    """One top-level match of a source: the name it is copied under, and what it is."""

    name: str
    path: str
    status: os.stat_result

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.status.st_mode)


def relative_source(source: str) -> str:
    """A source as a clean path relative to the tree root ("" for the root)."""
    cleaned = clean_path("/" + source).lstrip("/")
    return "" if cleaned == "." else cleaned


def has_wildcard(path: str) -> bool:
    """Whether a source path is a pattern rather than a name."""
    return any(ch in _WILDCARD for ch in path)


def _glob(tree: SourceTree, parts: list[str]) -> list[str]:
    found = [""]
    for part in parts:
        following = []
        for directory in found:
            status = tree.lstat(directory)
            if status is None or not stat.S_ISDIR(status.st_mode):
                continue
            prefix = f"{directory}/" if directory else ""
            if has_wildcard(part):
                names = [n for n in tree.children(directory) if filepath_match(part, n)]
            else:
                names = [part] if tree.lstat(prefix + part) is not None else []
            following += [prefix + name for name in names]
        found = following
    return sorted(found)


def _follow(tree: SourceTree, path: str, shown: str) -> str:
    status = tree.lstat(path)
    if status is None or not stat.S_ISLNK(status.st_mode):
        return path
    resolved = resolve_in_root(tree.root, path)
    target = relative_source(str(resolved.relative_to(tree.root)))
    if tree.lstat(target) is None:
        raise BuildError(f'"/{shown}": not found (a symlink to a path outside what is sent)')
    return target


def select_sources(tree: SourceTree, source: str) -> list[Selected]:
    """The entries a COPY/ADD source names (BuildError when nothing matches)."""
    path = relative_source(source)
    if has_wildcard(path):
        matches = _glob(tree, path.split("/"))
        if not matches:
            raise BuildError(f'no source files were specified: "{source}" matches nothing')
    else:
        if tree.lstat(path) is None:
            raise BuildError(f'"/{path}": not found')
        matches = [path]
    selected = []
    for match in matches:
        target = _follow(tree, match, match)
        status = tree.lstat(target)
        assert status is not None
        selected.append(Selected(match.rpartition("/")[2], target, status))
    return selected


def walk(tree: SourceTree, path: str) -> Iterator[tuple[str, os.stat_result]]:
    """Everything below directory `path` (pre-order, sorted), as (path, status)."""
    prefix = f"{path}/" if path else ""
    for name in tree.children(path):
        child = prefix + name
        status = tree.lstat(child)
        if status is None:
            continue
        yield child, status
        if stat.S_ISDIR(status.st_mode):
            yield from walk(tree, child)
