"""Where the engine keeps things on disk: one persistent root and one runtime (tmpfs) root."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "/var/lib/pycompose"
DEFAULT_RUN_ROOT = "/run/pycompose"
ROOT_ENV = "PYCOMPOSE_ROOT"
RUN_ROOT_ENV = "PYCOMPOSE_RUN_ROOT"


@dataclass(frozen=True)
class Layout:
    """The directory layout under `root` (persistent) and `run_root` (volatile, per boot)."""

    root: Path
    run_root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> Layout:
        """Layout from an explicit root, else PYCOMPOSE_ROOT, else the system default.

        A non-default root gets its own runtime root (a sibling directory under
        /run/pycompose named after the root's hash) so two roots never share
        runtime files, unless PYCOMPOSE_RUN_ROOT says otherwise.
        """
        chosen = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).absolute()
        run_env = os.environ.get(RUN_ROOT_ENV)
        if run_env:
            run_root = Path(run_env).absolute()
        elif str(chosen) == DEFAULT_ROOT:
            run_root = Path(DEFAULT_RUN_ROOT)
        else:
            digest = hashlib.sha256(str(chosen).encode()).hexdigest()[:12]
            run_root = Path(DEFAULT_RUN_ROOT) / f"root-{digest}"
        return cls(root=chosen, run_root=run_root)

    @property
    def is_default(self) -> bool:
        """Whether this is the system-wide default root."""
        return str(self.root) == DEFAULT_ROOT

    @property
    def instance_name(self) -> str:
        """A short name unique to this root, for host-global names (cgroups, nftables)."""
        if self.is_default:
            return "pycompose"
        return "pycompose-" + hashlib.sha256(str(self.root).encode()).hexdigest()[:8]

    @property
    def database(self) -> Path:
        return self.root / "store.db"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs" / "sha256"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def containers(self) -> Path:
        return self.root / "containers"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def tmp(self) -> Path:
        """Scratch space on the same filesystem as the store, so renames are atomic."""
        return self.root / "tmp"

    @property
    def locks(self) -> Path:
        return self.run_root / "locks"

    @property
    def run_containers(self) -> Path:
        return self.run_root / "containers"

    def ensure(self) -> None:
        """Create the directories of the layout (idempotent)."""
        for path in (
            self.root,
            self.blobs,
            self.snapshots,
            self.containers,
            self.volumes,
            self.tmp,
            self.run_root,
            self.locks,
            self.run_containers,
        ):
            path.mkdir(parents=True, exist_ok=True)
        # Only root may traverse the root: image snapshots and volumes hold setuid-root
        # programs (an image's, or one a container wrote into a volume) that any host user
        # could otherwise run through their paths here (as Docker's 0710 /var/lib/docker).
        os.chmod(self.root, 0o700)
