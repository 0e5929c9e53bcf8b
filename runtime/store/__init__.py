"""The engine's persistent state: SQLite metadata, content-addressed blobs, locks, paths."""

from runtime.store.blobs import BlobStore, BlobWriter
from runtime.store.database import Database
from runtime.store.layout import Layout
from runtime.store.locks import FileLock
from runtime.store.store import Store

__all__ = ["BlobStore", "BlobWriter", "Database", "FileLock", "Layout", "Store"]
