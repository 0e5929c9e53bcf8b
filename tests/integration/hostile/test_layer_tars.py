"""Hostile layer tarballs through the snapshot store: each is refused with a clear error (and
leaves no snapshot and no scratch file) or applied with everything kept inside the snapshot;
a canary outside is never touched.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.layers.errors import LayerError
from runtime.layers.snapshots import Snapshots
from tests.support import hostile_layers
from tests.support.hostile_compose import fingerprint
from tests.support.layers import LayerBuilder
from tests.support.parameters import marked_slow
from tests.support.stores import make_store

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
NOT_A_DIGEST = "sha256:" + "0" * 64


def test_there_are_enough_hostile_layers() -> None:
    assert len(hostile_layers.LAYERS) >= 30


@pytest.mark.parametrize("name", marked_slow(hostile_layers.LAYERS))
def test_hostile_layer(name: str, tmp_path: Path) -> None:
    layer = hostile_layers.LAYERS[name]
    canary = tmp_path / "outside" / "canary"
    canary.parent.mkdir()
    canary.write_text("canary\n")
    store = make_store(tmp_path / "store")
    data = layer.make(canary)
    outside = fingerprint(canary.parent)
    snapshots = Snapshots(store)
    diff_id = NOT_A_DIGEST if layer.refused else "sha256:" + hashlib.sha256(data).hexdigest()
    if layer.refused is not None:
        with pytest.raises(LayerError, match=re.escape(layer.refused)) as caught:
            snapshots.ensure(diff_id, diff_id, lambda: io.BytesIO(data))
        assert "\n" not in str(caught.value)
        assert list(snapshots) == []
        assert os.listdir(store.layout.tmp) == []
    else:
        assert snapshots.ensure(diff_id, diff_id, lambda: io.BytesIO(data)) is not None
        assert layer.check is not None
        layer.check(snapshots.path(diff_id), canary)
    assert fingerprint(canary.parent) == outside


def _run_as_nobody(path: Path) -> subprocess.CompletedProcess[str]:
    # Through a shell: setpriv itself keeps root's saved uid, and so can still reach the path.
    return subprocess.run(
        [*NOBODY, "sh", "-c", 'exec "$0"', str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_setuid_programs_in_snapshots_are_out_of_reach_of_host_users(
    open_directory: Path,
) -> None:
    # A setuid-root program in an image must not be a way to root for a user of the host.
    program = open_directory / "reachable" / "euid"
    program.parent.mkdir(mode=0o755)
    source = open_directory / "euid.c"
    source.write_text(
        '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("%d\\n", geteuid());}\n'
    )
    subprocess.run(["gcc", "-static", "-o", str(program), str(source)], check=True)
    os.chmod(program, 0o4755)
    # where a host user can reach it, it runs as root: so the check below can fail
    assert _run_as_nobody(program).stdout.strip() == "0"
    store = make_store(open_directory / "engine")
    os.chmod(open_directory / "engine", 0o755)
    data = LayerBuilder().file("bin/euid", program.read_bytes(), mode=0o4755).build()
    diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
    snapshots = Snapshots(store)
    snapshots.ensure(diff_id, diff_id, lambda: io.BytesIO(data))
    planted = snapshots.path(diff_id) / "bin" / "euid"
    assert os.stat(planted).st_mode & 0o4000
    refused = _run_as_nobody(planted)
    assert refused.returncode != 0 and "Permission denied" in refused.stderr


@pytest.fixture
def open_directory() -> Iterator[Path]:
    """A directory every host user can reach (pytest's own temporary ones are private)."""
    directory = Path(tempfile.mkdtemp(prefix="pycompose-hostile-", dir="/tmp"))
    os.chmod(directory, 0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
