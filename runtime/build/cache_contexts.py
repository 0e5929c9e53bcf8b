"""Digests of COPY/ADD sources, for the cache key, made cheap to repeat.

A source's digest covers what a copy of it would produce, except what a
copy resets: each entry's path, type, permission bits, size, link target
and content — not its mtime, and not its owner unless the copy keeps it
(COPY --from), as BuildKit's contenthash. In the build context, file
contents are hashed once: a persisted index maps (path, size, mtime, ctime,
inode) to the content digest, so an unchanged file costs one `lstat`, which
the context walk already made. In another stage, a source's digest is
remembered against that stage's cache key (same key, same content), so only
a stage that changed is mounted and hashed again.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.build.errors import BuildError
from runtime.build.source_trees import (
    ContextTree,
    SourceTree,
    host_path,
    select_sources,
    walk,
)
from runtime.store.database import Database

FileDigest = Callable[[str, os.stat_result], str]


@dataclass(frozen=True)
class _Indexed:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    digest: str

    def matches(self, status: os.stat_result) -> bool:
        return (self.size, self.mtime_ns, self.ctime_ns, self.inode) == (
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
            status.st_ino,
        )


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "dir"),
        (stat.S_ISREG, "file"),
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISFIFO, "fifo"),
    ):
        if test(mode):
            return name
    return "other"


def content_digest(path: Path) -> str:
    """The sha256 digest of a file's content."""
    with open(path, "rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def _line(
    tree: SourceTree,
    name: str,
    path: str,
    status: os.stat_result,
    file_digest: FileDigest,
    owners: bool,
) -> bytes:
    mode = status.st_mode
    extra = ""
    if stat.S_ISREG(mode):
        extra = file_digest(path, status)
    elif stat.S_ISLNK(mode):
        extra = os.readlink(host_path(tree, path))
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        extra = f"{os.major(status.st_rdev)}:{os.minor(status.st_rdev)}"
    size = status.st_size if stat.S_ISREG(mode) else 0
    owner = f"{status.st_uid}:{status.st_gid}" if owners else ""
    return f"{name}\0{_kind(mode)}\0{stat.S_IMODE(mode):o}\0{size}\0{owner}\0{extra}\n".encode()


def selection_digest(tree: SourceTree, source: str, file_digest: FileDigest, owners: bool) -> str:
    """One digest over every entry `source` selects in `tree` (owners too when a copy keeps them)."""
    hasher = hashlib.sha256()
    for item in select_sources(tree, source):
        hasher.update(_line(tree, item.name, item.path, item.status, file_digest, owners))
        if item.is_dir:
            base = item.path + "/" if item.path else ""
            for path, status in walk(tree, item.path):
                name = f"{item.name}/{path[len(base) :]}"
                hasher.update(_line(tree, name, path, status, file_digest, owners))
    return "sha256:" + hasher.hexdigest()


def rootfs_digest(tree: SourceTree, source: str) -> str:
    """The digest of a COPY --from source in a mounted stage or image (owners included)."""

    def file_digest(path: str, status: os.stat_result) -> str:
        return content_digest(host_path(tree, path))

    return selection_digest(tree, source, file_digest, owners=True)


class ContextDigests:
    """Source digests of one build context, using and updating the store's index."""

    def __init__(self, db: Database, tree: ContextTree):
        self.db = db
        self.tree = tree
        self.context = str(tree.root)
        self._index: dict[str, _Indexed] | None = None
        self._changed: dict[str, _Indexed] = {}
        self._digests: dict[str, str] = {}

    def _load(self) -> dict[str, _Indexed]:
        if self._index is None:
            rows = self.db.query(
                "SELECT path, size, mtime_ns, ctime_ns, inode, digest FROM build_context_files"
                " WHERE context = ?",
                (self.context,),
            )
            self._index = {
                row["path"]: _Indexed(
                    row["size"], row["mtime_ns"], row["ctime_ns"], row["inode"], row["digest"]
                )
                for row in rows
            }
        return self._index

    def file_digest(self, path: str, status: os.stat_result) -> str:
        """The sha256 of a context file's content (from the index when it has not changed)."""
        known = self._load().get(path)
        if known is not None and known.matches(status):
            return known.digest
        try:
            digest = content_digest(host_path(self.tree, path))
        except OSError as error:
            raise BuildError(
                f"cannot read /{path} in the build context: {error.strerror}"
            ) from None
        entry = _Indexed(
            status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, digest
        )
        self._load()[path] = entry
        self._changed[path] = entry
        return digest

    def digest(self, source: str) -> str:
        """The digest of everything `source` (a path or wildcard) selects in the context."""
        found = self._digests.get(source)
        if found is None:
            found = selection_digest(self.tree, source, self.file_digest, owners=False)
            self._digests[source] = found
        return found

    def flush(self) -> None:
        """Write what changed in the index (one transaction; nothing when nothing changed)."""
        if not self._changed:
            return
        changed, self._changed = self._changed, {}
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO build_context_files(context, path, size, mtime_ns, ctime_ns, inode,"
                " digest) VALUES (?,?,?,?,?,?,?) ON CONFLICT(context, path) DO UPDATE SET"
                " size = excluded.size, mtime_ns = excluded.mtime_ns,"
                " ctime_ns = excluded.ctime_ns, inode = excluded.inode, digest = excluded.digest",
                [
                    (self.context, path, e.size, e.mtime_ns, e.ctime_ns, e.inode, e.digest)
                    for path, e in changed.items()
                ],
            )
