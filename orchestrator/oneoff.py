"""`run`: a one-off container of a service, with its dependencies up first.

The container is the service's, changed by the command line: another
command or entrypoint, more variables and mounts, ports only when asked
(`--service-ports`, `-p`), no restart policy. It is labelled as a one-off
(`com.docker.compose.oneoff=True`), so `up` never counts it as a replica or an
orphan, and `down` removes it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from orchestrator.errors import OrchestratorError
from orchestrator.graph import ServiceGraph
from orchestrator.progress import Progress
from orchestrator.replicas import replica_request
from specs.model import Project

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.containers.spec import MountSpec
    from runtime.engine import Engine


@dataclass(frozen=True)
class RunOptions:
    """What `run` was asked."""

    service: str
    command: tuple[str, ...] = ()
    entrypoint: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    service_ports: bool = False
    name: str | None = None
    user: str | None = None
    workdir: str | None = None
    tty: bool = False
    interactive: bool = True
    labels: dict[str, str] = field(default_factory=dict)


def parse_volume(project: Project, text: str) -> MountSpec:
    """`-v SOURCE:TARGET[:ro]`: a host path (absolute or ./relative) or a volume (the project's
    when it declares that key)."""
    import os

    from runtime.containers.spec import MountSpec

    parts = text.split(":")
    if len(parts) == 1:
        return MountSpec("volume", parts[0])
    if len(parts) > 3 or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
        raise OrchestratorError(f"-v {text}: expected SOURCE:TARGET[:ro|rw]")
    source, target = parts[0], parts[1]
    read_only = len(parts) == 3 and parts[2] == "ro"
    if source.startswith((".", "/", "~")):
        path = os.path.abspath(os.path.expanduser(source))
        return MountSpec("bind", target, path, read_only=read_only)
    volume = project.volumes.get(source)
    return MountSpec("volume", target, volume.name if volume else source, read_only=read_only)


def oneoff_name(project: str, service: str) -> str:
    """`<project>-<service>-run-<12 hex>`, as Compose names one-off containers."""
    return f"{project}-{service}-run-{secrets.token_hex(6)}"


def create_oneoff(
    engine: Engine, project: Project, options: RunOptions, progress: Progress
) -> Container:
    """Make (not start) the one-off container."""
    from runtime.containers.model import RestartPolicy
    from runtime.network.ports import parse_port_spec

    if options.service not in project.services:
        raise OrchestratorError(f"no such service: {options.service}")
    service = project.services[options.service]
    name = options.name or oneoff_name(project.name, service.name)
    request = replica_request(
        engine,
        project,
        ServiceGraph(project),
        service,
        name=name,
        number=1,
        oneoff=True,
        extra_mounts=[parse_volume(project, entry) for entry in options.volumes],
        command=list(options.command) if options.command else None,
        publish=options.service_ports,
    )
    spec = request.spec
    spec = replace(
        spec,
        env={**spec.env, **options.environment},
        entrypoint=_entrypoint(options.entrypoint, spec.entrypoint),
        user=options.user or spec.user,
        working_dir=options.workdir or spec.working_dir,
        tty=options.tty,
        stdin_open=options.interactive,
        labels={**spec.labels, **options.labels},
    )
    extra_ports = tuple(port for text in options.ports for port in parse_port_spec(text))
    request = replace(
        request, spec=spec, ports=(*request.ports, *extra_ports), restart=RestartPolicy()
    )
    progress.update("Container", name, "Creating")
    created = engine.containers.create(request)
    progress.update("Container", name, "Created", done=True)
    return created


def _entrypoint(given: str | None, current: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if given is None:
        return current
    import shlex

    return tuple(shlex.split(given)) if given else ()


def dependencies_of(project: Project, service: str) -> list[str]:
    """What `run SERVICE` brings up first: everything the service needs, transitively."""
    graph = ServiceGraph(project)
    return sorted(graph.with_dependencies([service]) - {service})


def environment_pairs(entries: Sequence[str], process: dict[str, str]) -> dict[str, str]:
    """`-e KEY=VALUE` (or `-e KEY`, taken from this process's environment)."""
    found: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not key:
            raise OrchestratorError(f"-e {entry}: expected KEY=VALUE")
        if sep:
            found[key] = value
        elif key in process:
            found[key] = process[key]
    return found
