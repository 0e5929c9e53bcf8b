"""Engine stores for tests: a private one per test, the checks that it holds nothing, skopeo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from runtime.images.imagestore import ImageStore
from runtime.store import Layout, Store


def make_store(path: Path) -> Store:
    """A store with its root and runtime root under `path`."""
    return Store(Layout(root=path / "root", run_root=path / "run"))


def assert_store_empty(store: Store) -> None:
    """No blob, snapshot, scratch file or image is left in `store`."""
    assert list(store.blobs) == []
    assert list(store.layout.snapshots.iterdir()) == []
    assert [p.name for p in store.layout.tmp.iterdir()] == []
    assert ImageStore(store).all() == []


def skopeo(*args: str) -> str:
    """Run skopeo; fail the test with its stderr if it fails; return its stdout."""
    result = subprocess.run(["skopeo", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout
