"""Layers: faithful application, overlay whiteouts, hostile archives confined, upper-dir diffs."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from runtime.layers.apply import apply_layer
from runtime.layers.diff import diff_upper
from runtime.layers.errors import LayerError
from tests.support.layers import LayerBuilder, overlay_view, overlay_writable, tree


def _apply(data: bytes, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    apply_layer(io.BytesIO(data), target)
    return target


def test_metadata_is_preserved(tmp_path: Path) -> None:
    layer = (
        LayerBuilder()
        .dir("usr", mode=0o755)
        .dir("usr/bin", mode=0o755, mtime=1_600_000_000)
        .file("usr/bin/su", b"#!su", mode=0o4755, uid=0, gid=0)
        .file("usr/bin/wall", b"wall", mode=0o2755, uid=0, gid=5)
        .file("home/app/notes", b"mine", mode=0o600, uid=1000, gid=1001, mtime=1_234_567_890)
        .file(
            "ping",
            b"ping",
            mode=0o755,
            xattrs={
                "user.origin": b"test",
                "security.capability": b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            },
        )
        .hardlink("usr/bin/su-again", "usr/bin/su")
        .symlink("bin", "usr/bin", uid=1000, gid=1000)
        .device("dev/null", 1, 3, mode=0o666)
        .device("dev/loop0", 7, 0, block=True, mode=0o660, gid=6)
        .fifo("run/fifo", mode=0o620)
        .dir("tmp", mode=0o1777)
        .build()
    )
    root = _apply(layer, tmp_path / "snap")
    su = os.lstat(root / "usr/bin/su")
    assert stat.S_IMODE(su.st_mode) == 0o4755
    assert stat.S_IMODE(os.lstat(root / "usr/bin/wall").st_mode) == 0o2755
    assert os.lstat(root / "usr/bin/wall").st_gid == 5
    notes = os.lstat(root / "home/app/notes")
    assert (notes.st_uid, notes.st_gid, stat.S_IMODE(notes.st_mode)) == (1000, 1001, 0o600)
    assert notes.st_mtime == 1_234_567_890
    assert os.lstat(root / "usr/bin").st_mtime == 1_600_000_000
    assert os.getxattr(root / "ping", "user.origin") == b"test"
    assert os.getxattr(root / "ping", "security.capability")[:4] == b"\x01\x00\x00\x02"
    assert os.lstat(root / "usr/bin/su-again").st_ino == su.st_ino
    assert os.readlink(root / "bin") == "usr/bin" and os.lstat(root / "bin").st_uid == 1000
    null = os.lstat(root / "dev/null")
    assert (
        stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    )
    assert stat.S_ISBLK(os.lstat(root / "dev/loop0").st_mode)
    assert stat.S_ISFIFO(os.lstat(root / "run/fifo").st_mode)
    assert stat.S_IMODE(os.lstat(root / "tmp").st_mode) == 0o1777


def test_whiteouts_become_overlay_whiteouts(tmp_path: Path) -> None:
    base = _apply(
        LayerBuilder()
        .file("a/x", b"x")
        .file("a/y", b"y")
        .file("b/z", b"z")
        .file("c", b"c")
        .build(),
        tmp_path / "l1",
    )
    top = _apply(
        LayerBuilder()
        .dir("a")
        .file("a/.wh.x")
        .dir("b")
        .file("b/.wh..wh..opq")
        .file("b/w", b"w")
        .file(".wh.c")
        .build(),
        tmp_path / "l2",
    )
    whiteout = os.lstat(top / "a/x")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == 0
    assert os.getxattr(top / "b", "trusted.overlay.opaque") == b"y"
    assert not (top / "a/.wh.x").exists() and not (top / "b/.wh..wh..opq").exists()
    with overlay_view([base, top], tmp_path / "merged") as merged:
        assert sorted(os.listdir(merged / "a")) == ["y"]
        assert sorted(os.listdir(merged / "b")) == ["w"]
        assert not (merged / "c").exists()


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary").write_text("canary")
    return outside / "canary"


def _untouched(canary: Path) -> None:
    assert canary.read_text() == "canary"
    assert sorted(os.listdir(canary.parent)) == ["canary"]


HOSTILE_CLAMPED = {
    "traversal": lambda c: (
        LayerBuilder().file("../../outside/canary", b"pwned").file("../../outside/new", b"x")
    ),
    "absolute": lambda c: LayerBuilder().file(str(c), b"pwned").file(str(c.parent / "new"), b"x"),
    "symlink-parent-absolute": lambda c: (
        LayerBuilder()
        .symlink("escape", str(c.parent))
        .file("escape/canary", b"pwned")
        .file("escape/new", b"x")
    ),
    "symlink-parent-relative": lambda c: (
        LayerBuilder()
        .symlink("up", "../../../../../../..")
        .file(f"up/{str(c).lstrip('/')}", b"pwned")
    ),
    "symlink-replaced-by-file": lambda c: LayerBuilder().symlink("f", str(c)).file("f", b"pwned"),
    "symlink-chain": lambda c: (
        LayerBuilder().symlink("a", "b").symlink("b", str(c.parent)).file("a/canary", b"pwned")
    ),
    "hardlink-to-symlink": lambda c: LayerBuilder().symlink("s", str(c)).hardlink("h", "s"),
    "device-through-symlink": lambda c: (
        LayerBuilder().symlink("d", str(c.parent)).device("d/null", 1, 3)
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CLAMPED))
def test_hostile_entries_are_clamped_inside(case: str, tmp_path: Path, canary: Path) -> None:
    snapshot = tmp_path / "snap"
    _apply(HOSTILE_CLAMPED[case](canary).build(), snapshot)
    _untouched(canary)
    assert snapshot.is_dir()


HOSTILE_REFUSED = {
    "hardlink-absolute": (lambda c: LayerBuilder().hardlink("h", str(c)), "not in this layer"),
    "hardlink-traversal": (
        lambda c: LayerBuilder().hardlink("h", "../../outside/canary"),
        "not in this layer",
    ),
    "hardlink-through-symlink": (
        lambda c: LayerBuilder().symlink("d", str(c.parent)).hardlink("h", "d/canary"),
        "not in this layer",
    ),
    "whiteout-dotdot": (lambda c: LayerBuilder().dir("a").file("a/.wh..."), "whiteout of '..'"),
    "whiteout-dot": (lambda c: LayerBuilder().file(".wh.."), "whiteout of '.'"),
    "parent-is-file": (
        lambda c: LayerBuilder().file("f", b"x").file("f/g", b"y"),
        "not a directory",
    ),
    "truncated": (lambda c: LayerBuilder().file("big", b"x" * 100000), "corrupt or truncated"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_REFUSED))
def test_hostile_entries_are_refused(case: str, tmp_path: Path, canary: Path) -> None:
    make, message = HOSTILE_REFUSED[case]
    data = make(canary).build()
    if case == "truncated":
        data = data[:5000]
    with pytest.raises(LayerError, match=message):
        _apply(data, tmp_path / "snap")
    _untouched(canary)


def test_diff_id_is_checked(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="does not match its diff id"):
        (tmp_path / "s").mkdir()
        apply_layer(
            io.BytesIO(LayerBuilder().file("a", b"a").build()),
            tmp_path / "s",
            expected_diff_id="sha256:" + "0" * 64,
        )


def test_diff_of_an_upper_dir_reproduces_the_changes(tmp_path: Path) -> None:
    base = _apply(
        LayerBuilder()
        .file("etc/config", b"old")
        .file("etc/hosts", b"127.0.0.1 localhost")
        .file("data/one", b"1")
        .file("data/two", b"2")
        .file("gone", b"bye")
        .dir("vol")
        .build(),
        tmp_path / "base",
    )
    with overlay_writable(
        [base], tmp_path / "upper", tmp_path / "work", tmp_path / "rootfs"
    ) as root:
        (root / "etc/config").write_text("new")
        (root / "etc/hosts").write_text("10.0.0.2 me")  # init-layer file: excluded
        (root / "gone").unlink()
        for child in (root / "data").iterdir():
            child.unlink()
        (root / "data").rmdir()
        (root / "data").mkdir()
        (root / "data/three").write_text("3")
        (root / "vol/volume-file").write_text("not in the image")
        (root / "bin").mkdir()
        (root / "bin/tool").write_text("#!/bin/sh")
        os.chown(root / "bin/tool", 1000, 1000)
        os.chmod(root / "bin/tool", 0o4755)
        os.link(root / "bin/tool", root / "bin/tool2")
        os.setxattr(root / "bin/tool", "user.note", b"kept")
    layer = io.BytesIO()
    result = diff_upper(
        tmp_path / "upper", layer, exclude=["/etc/hosts"], exclude_contents=["/vol"]
    )
    assert result.entries > 0
    applied = apply_layer(io.BytesIO(layer.getvalue()), _mkdir(tmp_path / "diff"))
    assert applied.diff_id == result.diff_id
    with overlay_view([base, tmp_path / "diff"], tmp_path / "merged") as merged:
        assert (merged / "etc/config").read_text() == "new"
        assert (merged / "etc/hosts").read_text() == "127.0.0.1 localhost"
        assert not (merged / "gone").exists()
        assert sorted(os.listdir(merged / "data")) == ["three"]
        assert (merged / "vol").is_dir() and os.listdir(merged / "vol") == []
        tool = os.lstat(merged / "bin/tool")
        assert (stat.S_IMODE(tool.st_mode), tool.st_uid) == (0o4755, 1000)
        assert os.lstat(merged / "bin/tool2").st_ino == tool.st_ino
        assert os.getxattr(merged / "bin/tool", "user.note") == b"kept"


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_tree_helper_sees_whiteouts(tmp_path: Path) -> None:
    top = _apply(LayerBuilder().file(".wh.x").build(), tmp_path / "l")
    assert tree(top)["x"][4] == (0, 0)
