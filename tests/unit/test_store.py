"""The store: blobs verified before they are visible, migrations, locks across processes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from runtime.errors import StoreError
from runtime.store import Layout, Store
from runtime.store.blobs import sha256_digest


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(Layout(root=tmp_path / "root", run_root=tmp_path / "run"))


def test_blob_roundtrip_keeps_exact_bytes(store: Store) -> None:
    data = b"\x00layer bytes\xff" * 1000
    digest = store.blobs.put(data)
    assert digest == sha256_digest(data)
    assert store.blobs.read(digest) == data
    assert list(store.blobs) == [digest]


def test_blob_with_wrong_digest_never_enters(store: Store) -> None:
    wrong = sha256_digest(b"something else")
    writer = store.blobs.writer(wrong, 5)
    writer.write(b"hello")
    with pytest.raises(StoreError, match="digest mismatch"):
        writer.commit()
    assert not store.blobs.exists(wrong)
    assert list(store.layout.tmp.iterdir()) == []


def test_truncated_and_oversized_blobs_fail(store: Store) -> None:
    digest = sha256_digest(b"hello world")
    short = store.blobs.writer(digest, 11)
    short.write(b"hello")
    with pytest.raises(StoreError, match="truncated"):
        short.commit()
    long = store.blobs.writer(digest, 3)
    with pytest.raises(StoreError, match="larger than"):
        long.write(b"hello")
    long.abort()
    assert list(store.blobs) == []


def test_migrations_apply_once_and_in_order(store: Store) -> None:
    migrations = [
        "CREATE TABLE things (id TEXT PRIMARY KEY);",
        "ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0;",
    ]
    store.db.migrate("things", migrations[:1])
    fresh = Store(store.layout)
    fresh.db.migrate("things", migrations)
    with fresh.db.transaction() as conn:
        conn.execute("INSERT INTO things(id, size) VALUES ('a', 3)")
    row = fresh.db.query_one("SELECT size FROM things WHERE id = 'a'")
    assert row is not None and row["size"] == 3
    newer = Store(store.layout)
    with pytest.raises(StoreError, match="newer pycompose"):
        newer.db.migrate("things", migrations[:1])


def _hold_lock(root: str, run: str, ready: multiprocessing.synchronize.Event) -> None:
    held = Store(Layout(root=Path(root), run_root=Path(run))).lock("project-x")
    held.acquire()
    ready.set()
    time.sleep(30)


def test_lock_is_exclusive_and_dies_with_its_holder(store: Store) -> None:
    ready = multiprocessing.get_context("fork").Event()
    holder = multiprocessing.get_context("fork").Process(
        target=_hold_lock, args=(str(store.layout.root), str(store.layout.run_root), ready)
    )
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(StoreError, match="locked by another"):
            store.lock("project-x", timeout=0.2).acquire()
    finally:
        holder.kill()
        holder.join()
    with store.lock("project-x", timeout=5) as lock:
        lock.discard()  # a project with nothing in the store keeps no lock file
