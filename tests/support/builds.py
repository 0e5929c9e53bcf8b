"""Build test helpers: contexts on disk, running a built image, and what a build may leave.

- `write_context(dir, files)`: a build context from a {path: text/bytes} map.
- `run_image(store, image, ...)`: run an image's command (or another) through
  the embedded runtime on an overlay of its snapshots, as a container manager
  would, and return its exit code and output.
- `host_residue(store)`: what a build could leak on the host — mounts, network
  namespace pins, step containers, their cgroups, scratch directories — to
  compare before and after.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.containers.spec import ContainerSpec, NamespaceMode
from runtime.images.imagestore import Image, ImageStore
from runtime.oci.runtime import EmbeddedRuntime, ExitStatus
from runtime.store import Store
from tests.support.bundles import cgroup_dirs, make_bundle, remove_cgroup_parent


def write_context(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path -> content) under `directory`; return it."""
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return directory


def tar_bytes(files: Mapping[str, str], mode: str = "w:gz") -> bytes:
    """A (gzip) tar archive holding `files`, each 0644."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class RunOutput:
    """A container's exit and what it printed."""

    status: ExitStatus
    stdout: str
    stderr: str


def run_image(
    store: Store,
    image: Image | str,
    workdir: Path,
    command: tuple[str, ...] | None = None,
) -> RunOutput:
    """Run `image` (its Cmd/Entrypoint, or `command`) once, with no network; clean up after."""
    images = ImageStore(store)
    record = image if isinstance(image, Image) else images.get(image)
    cgroup_parent = f"pycompose-test-{secrets.token_hex(4)}"
    container_id = f"run-{secrets.token_hex(4)}"
    spec = ContainerSpec(
        name=container_id,
        image_config=record.runtime_config,
        command=command,
        network=NamespaceMode("none"),
    )
    runtime = EmbeddedRuntime(workdir / "state")
    made = make_bundle(
        workdir / "containers", images.lower_dirs(record), spec, container_id, cgroup_parent
    )
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            with open(os.devnull, "rb") as null:
                stdio = (null.fileno(), out.fileno(), err.fileno())
                status = runtime.run(container_id, made.path, stdio=stdio)
            out.seek(0)
            err.seek(0)
            return RunOutput(status, out.read().decode(), err.read().decode())
    finally:
        made.remove()
        remove_cgroup_parent(cgroup_parent)


def _mounts_under(*roots: Path) -> list[str]:
    prefixes = [str(root.resolve()) for root in roots]
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle]
    return sorted(p for p in points if any(p.startswith(prefix) for prefix in prefixes))


def host_residue(store: Store) -> dict[str, Any]:
    """Everything a build could leave behind on the host, as comparable data."""
    layout = store.layout
    netns_dir = layout.run_root / "netns"
    states = layout.run_root / "build-runtime"
    cgroups = [str(path) for path in cgroup_dirs(f"/{layout.instance_name}") if path.exists()]
    return {
        "mounts": _mounts_under(layout.root, layout.run_root),
        "netns": sorted(os.listdir(netns_dir)) if netns_dir.exists() else [],
        "containers": sorted(p.name for p in states.iterdir() if not p.name.startswith("."))
        if states.exists()
        else [],
        "cgroups": cgroups,
        "scratch": sorted(p.name for p in layout.tmp.iterdir()) if layout.tmp.exists() else [],
        "locks": sorted(p.name for p in layout.locks.glob("build-*")),
    }


def skopeo_config(archive: Path, *, raw: bool = False) -> bytes:
    """`skopeo inspect --config [--raw]` of a `docker save` archive (its output)."""
    argv = ["skopeo", "inspect", "--config", *(["--raw"] if raw else [])]
    result = subprocess.run([*argv, f"docker-archive:{archive}"], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout
