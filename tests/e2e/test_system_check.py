"""`pycompose system check`: what a root left on the machine that its store does not explain."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.linux import syscalls
from tests.support.compose_apps import IDLE, ComposeApp

GHOST = "ab" * 32  # a container id the store does not know


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ComposeApp]:
    made = ComposeApp.make(tmp_path, busybox=False)
    try:
        yield made
    finally:
        made.tear_down()


def test_a_clean_root_has_no_residue(app: ComposeApp) -> None:
    result = app.run("system", "check")
    assert result.stdout == "no residue\n"
    assert json.loads(app.run("system", "check", "--format", "json").stdout) == []


def test_every_kind_of_leftover_is_listed_and_fails_the_check(app: ComposeApp) -> None:
    layout = app.layout
    (layout.locks / f"container-{GHOST}.lock").touch()
    (layout.run_containers / GHOST).mkdir()
    rootfs = layout.containers / GHOST / "rootfs"
    rootfs.mkdir(parents=True)
    syscalls.mount("tmpfs", str(rootfs), "tmpfs")
    (layout.run_root / "netns").mkdir(exist_ok=True)
    (layout.run_root / "netns" / GHOST).touch()
    leftover = subprocess.Popen(
        ["sleep", "600"], env={**os.environ, "PYCOMPOSE_ROOT": str(layout.root)}
    )
    try:
        result = app.run("system", "check", check=False)
        assert result.returncode == 1
        kinds = {line.split(": ", 1)[0] for line in result.stdout.splitlines()}
        assert kinds == {
            "lock",
            "file",
            "mount",
            "container directory",
            "network namespace",
            "process",
        }, result.stdout
        assert f"process: {leftover.pid} sleep 600" in result.stdout
        listed = json.loads(app.run("system", "check", "--format", "json", check=False).stdout)
        assert {"kind": "mount", "item": str(rootfs)} in listed
    finally:
        leftover.kill()
        leftover.wait()
        syscalls.umount(str(rootfs))
    for path in (layout.locks / f"container-{GHOST}.lock", layout.run_root / "netns" / GHOST):
        path.unlink()
    for directory in (rootfs, rootfs.parent, layout.run_containers / GHOST):
        directory.rmdir()
    assert app.run("system", "check").stdout == "no residue\n"


def test_a_running_project_explains_what_it_holds(app: ComposeApp) -> None:
    from tests.support.images import busybox_image

    busybox_image(app.store)
    app.write(
        f"""
        services:
          web:
            image: busybox
            command: {IDLE}
            ports: ["8080:80"]
        """
    )
    app.run("up", "-d")
    assert app.run("system", "check").stdout == "no residue\n"
    app.run("down", "-t", "1")
    assert app.run("system", "check").stdout == "no residue\n"
