"""Pieces of the residue check and of lock files that may be deleted by their holder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from runtime.errors import StoreError
from runtime.residue import Residue, _is_command
from runtime.store.locks import FileLock
from runtime.store.scratch import SCRATCH_RE, scratch_prefix


def test_pycompose_commands_are_told_from_leftovers() -> None:
    assert _is_command([b"/opt/venv/bin/python3", b"/opt/venv/bin/pycompose", b"up"])
    assert _is_command([b"/usr/local/bin/pycompose", b"down"])
    assert _is_command([b"python3", b"-m", b"orchestrator", b"ps"])
    monitor = [b"/home/ci/pycompose/.venv/bin/python", b"-S", b"-E", b"-B", b"-c", b"..."]
    assert not _is_command(monitor)
    assert not _is_command([b"sleep", b"600"])


def test_a_residue_line_names_kind_and_item() -> None:
    item = Residue("mount", "/var/lib/pycompose/containers/x/rootfs")
    assert item.line == "mount: /var/lib/pycompose/containers/x/rootfs"
    assert item.to_dict() == {"kind": "mount", "item": "/var/lib/pycompose/containers/x/rootfs"}


def test_scratch_names_carry_the_writer() -> None:
    match = SCRATCH_RE.match(scratch_prefix("blob") + "abc")
    assert match is not None and int(match.group(1)) > 0


def test_a_waiter_on_a_discarded_lock_file_locks_the_new_one(tmp_path: Path) -> None:
    """The holder deletes the file, then releases: the waiter it released must hold the lock
    that a newcomer finds at the path, not the deleted file's (or both would run at once)."""
    path = tmp_path / "project-x.lock"
    holder = FileLock(path)
    holder.acquire()
    waiter = FileLock(path)
    taken = threading.Event()

    def wait() -> None:
        waiter.acquire()
        taken.set()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.2)  # the waiter blocks in flock on the file about to be deleted
    holder.discard()
    assert taken.wait(5)
    newcomer = FileLock(path, timeout=0.2)
    with pytest.raises(StoreError):
        newcomer.acquire()
    waiter.release()
    thread.join()
    newcomer.acquire()
    newcomer.release()
