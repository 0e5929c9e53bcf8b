"""`pycompose volume` as a user runs it: create, ls, inspect, rm (refused while held), prune."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runtime.store import Layout, Store
from runtime.volumes import VolumeStore

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


def test_volume_commands(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYCOMPOSE_ROOT": str(tmp_path / "root"),
        "PYCOMPOSE_RUN_ROOT": str(tmp_path / "run"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYCOMPOSE, "volume", *args], capture_output=True, text=True, env=env, check=False
        )

    assert run("create", "data", "--label", "tier=db").stdout == "data\n"
    anonymous = run("create").stdout.strip()
    assert len(anonymous) == 64
    listing = run("ls").stdout.splitlines()
    assert listing[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert {line.split()[1] for line in listing[1:]} == {"data", anonymous}
    assert run("ls", "-q", "--filter", "label=tier=db").stdout == "data\n"
    inspected = json.loads(run("inspect", "data").stdout)[0]
    assert inspected["Mountpoint"] == str(tmp_path / "root" / "volumes" / "data" / "_data")
    assert inspected["Labels"] == {"tier": "db"} and inspected["Driver"] == "local"
    VolumeStore(Store(Layout(tmp_path / "root", tmp_path / "run"))).hold(
        "data", "container", "web1"
    )
    refused = run("rm", "data")
    assert refused.returncode == 1
    assert (
        refused.stderr.strip()
        == "pycompose: volume data is in use by container:web1: remove those first"
    )
    pruned = run("prune", "-f")
    assert pruned.stdout.splitlines() == ["Deleted Volumes:", anonymous]
    missing = run("inspect", "nope")
    assert missing.returncode == 1 and missing.stderr.strip() == "pycompose: no such volume: nope"
    assert run("rm", "-f", "data").returncode == 0
    assert run("ls", "-q").stdout == ""
