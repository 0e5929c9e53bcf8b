"""Paths inside an untrusted tree never resolve outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.errors import SyscallError
from runtime.linux.securepath import makedirs_in_root, open_in_root, resolve_in_root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("inside\n")
    (tmp_path / "outside").write_text("host secret\n")
    (root / "escape-abs").symlink_to("/etc")
    (root / "escape-rel").symlink_to("../../..")
    (root / "loop").symlink_to("loop")
    return root


def test_absolute_symlink_restarts_at_the_tree_root(tree: Path) -> None:
    assert resolve_in_root(tree, "/escape-abs/hostname") == tree / "etc" / "hostname"


def test_dotdot_is_clamped(tree: Path) -> None:
    assert resolve_in_root(tree, "/../../outside") == tree / "outside"
    assert resolve_in_root(tree, "escape-rel/outside") == tree / "outside"


def test_missing_components_are_kept(tree: Path) -> None:
    assert resolve_in_root(tree, "/escape-abs/new/dir") == tree / "etc" / "new" / "dir"


def test_symlink_loop_is_an_error(tree: Path) -> None:
    with pytest.raises(SyscallError, match="ELOOP"):
        resolve_in_root(tree, "/loop/x")


def test_open_in_root_reads_inside(tree: Path) -> None:
    root_fd = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = open_in_root(root_fd, "/escape-rel/etc/hostname", os.O_RDONLY)
        with os.fdopen(fd) as handle:
            assert handle.read() == "inside\n"
        with pytest.raises(SyscallError):
            open_in_root(root_fd, "/escape-rel/outside", os.O_RDONLY)
    finally:
        os.close(root_fd)


def test_makedirs_follows_links_inside_only(tree: Path) -> None:
    made = makedirs_in_root(tree, "/escape-abs/a/b")
    assert made == tree / "etc" / "a" / "b"
    assert made.is_dir()
