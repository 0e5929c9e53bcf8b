"""The store: a layout, its database, its blobs and its named locks, opened together."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path

from runtime.store.blobs import BlobStore
from runtime.store.database import Database
from runtime.store.layout import Layout
from runtime.store.locks import FileLock

_LOCK_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]")


class Store:
    """Everything persistent of one engine root; components hang their tables on `db`."""

    def __init__(self, layout: Layout):
        self.layout = layout
        layout.ensure()

    @classmethod
    def open(cls, root: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating if needed) the store at `root`, PYCOMPOSE_ROOT or the default."""
        return cls(Layout.from_env(root))

    @cached_property
    def db(self) -> Database:
        return Database(self.layout.database)

    @cached_property
    def blobs(self) -> BlobStore:
        return BlobStore(self.layout.blobs, self.layout.tmp)

    def lock(self, name: str, *, shared: bool = False, timeout: float | None = None) -> FileLock:
        """A named cross-process lock, e.g. `store.lock("project-myapp")`."""
        safe = _LOCK_NAME_RE.sub("_", name)
        return FileLock(
            Path(self.layout.locks) / f"{safe}.lock",
            shared=shared,
            timeout=timeout,
            description=name,
        )
