"""The config hash of a service: it changes exactly when the container would change.

The hash covers the normalised service as `pycompose config` prints it, so key
order and short-versus-long syntax do not matter, and the environment already
holds the *contents* of its env files. It leaves out what does not reach the
container: `build` (the reconciler compares image ids instead), `depends_on`,
`profiles`, `env_file` paths, `pull_policy`, the replica count and `x-`
extensions. It adds the content of the configs and secrets the service uses,
which the loader reads into `Service.content_digest`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from specs.model.base import EXTENSION_PREFIX
from specs.model.files import Config, FileReference, Secret
from specs.model.project import Project
from specs.model.service import Service
from specs.textfiles import file_digest

_LEFT_OUT: Any = {
    "build": True,
    "depends_on": True,
    "profiles": True,
    "env_file": True,
    "pull_policy": True,
    "extensions": True,
}


def hashed_config(service: Service) -> dict[str, Any]:
    """The part of the normalised service the hash covers, as JSON data by Compose key
    (the reconciler compares two of these to say which keys changed)."""
    # The replica count is set to its default, which dumps as nothing, rather than
    # excluded, which would leave an empty `deploy` behind.
    single = service.model_copy(
        update={"deploy": service.deploy.model_copy(update={"replicas": 1})}
    )
    data = single.model_dump(mode="json", exclude=_LEFT_OUT)
    return {key: value for key, value in data.items() if not key.startswith(EXTENSION_PREFIX)}


def service_hash(service: Service) -> str:
    """The sha256 (hex) of what reaches the service's containers."""
    payload = json.dumps(
        {"service": hashed_config(service), "content": service.content_digest},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def digest_sources(project: Project) -> Project:
    """Record in each service a digest of the configs and secrets content it uses."""
    services = {}
    for group in (project.services, project.disabled_services):
        for name, service in group.items():
            digest = _content_digest(project, service)
            services[name] = (
                service.model_copy(update={"content_digest": digest}) if digest else service
            )
    return project.model_copy(
        update={
            "services": {name: services[name] for name in project.services},
            "disabled_services": {name: services[name] for name in project.disabled_services},
        }
    )


def _content_digest(project: Project, service: Service) -> str:
    if not service.configs and not service.secrets:
        return ""
    digest = hashlib.sha256()
    references: list[tuple[str, FileReference, Config | Secret | None]] = [
        ("config", reference, project.configs.get(reference.source))
        for reference in service.configs
    ]
    references += [
        ("secret", reference, project.secrets.get(reference.source))
        for reference in service.secrets
    ]
    for kind, reference, source in sorted(
        references, key=lambda entry: (entry[0], entry[1].source)
    ):
        digest.update(f"{kind}:{reference.source}\0".encode())
        digest.update(_content_hash(project, source))
    return digest.hexdigest()


def _content_hash(project: Project, source: Config | Secret | None) -> bytes:
    """The sha256 of a config's or secret's content (a file's is streamed, never held)."""
    if source is None:
        data = b""
    elif source.external:
        data = f"external:{source.name}".encode()
    elif isinstance(source, Config) and source.content is not None:
        data = source.content.encode()
    elif source.environment is not None:
        data = project.environment.get(source.environment, "").encode()
    elif source.file is not None:
        return file_digest(source.file) or hashlib.sha256(b"\0missing").digest()
    else:
        data = b""
    return hashlib.sha256(data).digest()
