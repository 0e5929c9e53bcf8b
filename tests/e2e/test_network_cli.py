"""`pycompose network`: create, ls, inspect, rm, prune, and clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from runtime.store import Layout

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYCOMPOSE_ROOT": str(root)}
    return subprocess.run(
        [PYCOMPOSE, "network", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_network_commands(tmp_path: Path) -> None:
    root = tmp_path / "root"
    created = _run(root, "create", "--label", "tier=web", "front")
    assert created.returncode == 0, created.stderr
    network_id = created.stdout.strip()
    assert len(network_id) == 64
    assert _run(root, "create", "--internal", "--subnet", "172.29.0.0/24", "back").returncode == 0

    duplicate = _run(root, "create", "front")
    assert duplicate.returncode == 1
    assert duplicate.stderr == "pycompose: network with name front already exists\n"
    bad = _run(root, "create", "--subnet", "10.0.0.1/8", "bad")
    assert bad.returncode == 1 and "invalid subnet" in bad.stderr and "Traceback" not in bad.stderr

    listing = _run(root, "ls").stdout.splitlines()
    assert listing[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SUBNET", "INTERNAL"]
    assert [line.split()[1] for line in listing[1:]] == ["front", "back"]
    assert _run(root, "ls", "-q", "--filter", "label=tier=web").stdout == network_id[:12] + "\n"

    inspected = json.loads(_run(root, "inspect", "back").stdout)
    assert inspected[0]["Internal"] is True
    assert inspected[0]["IPAM"]["Config"] == [{"Subnet": "172.29.0.0/24", "Gateway": "172.29.0.1"}]

    removed = _run(root, "rm", "back", "missing")
    assert removed.returncode == 1
    assert removed.stdout == "back\n"
    assert "network missing not found" in removed.stderr
    assert _run(root, "prune").returncode == 1  # no terminal to confirm on
    assert _run(root, "prune", "-f").stdout == "Deleted Networks:\nfront\n"
    assert _run(root, "ls", "-q").stdout == ""
    assert subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout == ""
    shutil.rmtree(Layout.from_env(root).run_root)
