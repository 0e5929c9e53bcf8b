"""Configs and secrets: their content written under the engine root and bind-mounted at their target.

Each service's files live in a directory named after its config hash,
`<root>/compose/<project>/<service>/<hash>/{configs,secrets}/<source>`: the
hash covers the content of every config and secret the service uses, so a
change of content is a new directory and a recreation (the containers of the
old hash keep theirs until they go). Writing is idempotent (temp file, fsync,
rename), owner and mode set before the rename, so a container never sees a
half-written file. Secrets' directories are readable by root only on the host.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestratorError
from runtime.containers.spec import MountSpec
from specs.model import Config, FileReference, Project, Secret, Service

DEFAULT_MODE = 0o444


@dataclass(frozen=True)
class ServiceFile:
    """One config or secret of a service, with where its content goes and comes from."""

    kind: str
    """`configs` or `secrets`."""
    reference: FileReference
    source: Config | Secret


def project_directory(root: Path, project: str) -> Path:
    """Where a project's configs and secrets are kept under the engine root."""
    return root / "compose" / project


def service_directory(root: Path, project: str, service: str, config_hash: str) -> Path:
    return project_directory(root, project) / service / config_hash[:16]


def _content(project: Project, kind: str, name: str, source: Config | Secret) -> bytes:
    if source.external:
        raise OrchestratorError(
            f"{kind[:-1]} {name} is external, which needs a swarm; give it a file, "
            "content or environment source"
        )
    if isinstance(source, Config) and source.content is not None:
        return source.content.encode()
    if source.environment is not None:
        if source.environment not in project.environment:
            raise OrchestratorError(
                f"{kind[:-1]} {name} reads the variable {source.environment}, which is not set: "
                "set it in the environment or in .env"
            )
        return project.environment[source.environment].encode()
    assert source.file is not None
    try:
        return Path(source.file).read_bytes()
    except OSError as exc:
        raise OrchestratorError(
            f"cannot read {kind[:-1]} {name} from {source.file}: {exc.strerror}"
        ) from None


def files_of(project: Project, service: Service) -> list[ServiceFile]:
    """The configs and secrets `service` uses, with their definitions."""
    found: list[ServiceFile] = []
    for kind, references, table in (
        ("configs", service.configs, project.configs),
        ("secrets", service.secrets, project.secrets),
    ):
        for reference in references:
            source = table.get(reference.source)
            if source is None:
                raise OrchestratorError(
                    f"service {service.name} uses {kind[:-1]} {reference.source}, which the "
                    f"project does not define: add it under top-level {kind}"
                )
            found.append(ServiceFile(kind, reference, source))
    return found


def _id(text: str | None) -> int:
    if text is None or text == "":
        return 0
    try:
        return int(text)
    except ValueError:
        raise OrchestratorError(f"uid/gid {text!r} must be a number") from None


def _write(path: Path, data: bytes, uid: int, gid: int, mode: int) -> None:
    if path.exists():
        return
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chown(partial, uid, gid)
    os.chmod(partial, mode)
    os.rename(partial, path)


def materialise(root: Path, project: Project, service: Service) -> tuple[MountSpec, ...]:
    """Write the service's configs and secrets and return their read-only bind mounts."""
    files = files_of(project, service)
    if not files:
        return ()
    directory = service_directory(root, project.name, service.name, service.config_hash())
    mounts: list[MountSpec] = []
    for entry in files:
        place = directory / entry.kind
        place.mkdir(parents=True, exist_ok=True)
        os.chmod(place, 0o700 if entry.kind == "secrets" else 0o755)
        # One file per reference: two references of one source may differ in owner or mode.
        target_name = entry.reference.target.strip("/").replace("/", "_")
        path = place / target_name
        data = _content(project, entry.kind, entry.reference.source, entry.source)
        mode = entry.reference.mode if entry.reference.mode is not None else DEFAULT_MODE
        _write(path, data, _id(entry.reference.uid), _id(entry.reference.gid), mode)
        mounts.append(
            MountSpec(
                "bind",
                entry.reference.target,
                str(path),
                read_only=True,
                create_host_path=False,
            )
        )
    return tuple(mounts)


def forget(root: Path, project: str, keep: dict[str, set[str]] | None = None) -> None:
    """Remove a project's files, except those of the (service, config hashes) in `keep`."""
    base = project_directory(root, project)
    if not base.is_dir():
        return
    kept = keep or {}
    for service_dir in base.iterdir():
        hashes = {value[:16] for value in kept.get(service_dir.name, set())}
        for hash_dir in list(service_dir.iterdir()) if service_dir.is_dir() else []:
            if hash_dir.name not in hashes:
                shutil.rmtree(hash_dir, ignore_errors=True)
        if service_dir.is_dir() and not any(service_dir.iterdir()):
            service_dir.rmdir()
    if not any(base.iterdir()):
        base.rmdir()
