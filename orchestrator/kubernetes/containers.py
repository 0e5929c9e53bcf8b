"""One service as one container of a Pod: image, command, environment, ports, mounts, probes.

Compose's `entrypoint` is the container's `command` and Compose's `command` its
`args`; an empty entrypoint with a command runs that command as is. Kubernetes
expands `$(VAR)` in commands, arguments and variable values, so a literal
`$(` or `$$` is escaped to keep the text Compose gave.
"""

from __future__ import annotations

import re
from typing import Any

from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.files import env_config_map, env_file_values, file_mounts
from orchestrator.kubernetes.grouping import container_name
from orchestrator.kubernetes.images import pull_policy
from orchestrator.kubernetes.naming import port_name
from orchestrator.kubernetes.probes import probes
from orchestrator.kubernetes.resources import container_resources
from orchestrator.kubernetes.security import security_context
from orchestrator.kubernetes.services import declared_ports
from orchestrator.kubernetes.storage import PodVolumes, service_mounts
from specs.model import Service

_EXPANSION = re.compile(r"\$(?=[$(])")
_ENV_NAME = re.compile(r"^[-._a-zA-Z0-9]+$")


def escape_expansion(text: str) -> str:
    """`text` as Kubernetes must be given it to pass it on unchanged (`$(` is `$$(`)."""
    return _EXPANSION.sub("$$", text)


def container(
    service: Service,
    context: ConversionContext,
    volumes: PodVolumes,
    in_pod: set[str],
    *,
    init: bool = False,
) -> dict[str, Any]:
    """The container running `service`; an init container has no ports and no probes."""
    made: dict[str, Any] = {
        "name": container_name(service),
        "image": context.project.image_name(service),
    }
    policy = pull_policy(service)
    if policy:
        made["imagePullPolicy"] = policy
    made.update(_command(service, context))
    if service.working_dir:
        made["workingDir"] = service.working_dir
    made.update(_environment(service, context))
    ports = declared_ports(service)
    if ports and not init:
        made["ports"] = [
            {
                "name": port_name(port.protocol, port.number),
                "containerPort": port.number,
                "protocol": port.protocol.upper(),
            }
            for port in ports
        ]
    resources = container_resources(service, context.warn)
    if resources:
        made["resources"] = resources
    mounts = service_mounts(service, context, volumes, in_pod)
    mounts.extend(file_mounts(service, context, volumes))
    if mounts:
        made["volumeMounts"] = mounts
    if not init:
        made.update(probes(service, context.warn))
    security = security_context(service, context.warn)
    if security:
        made["securityContext"] = security
    if service.tty:
        made["tty"] = True
    if service.stdin_open:
        made["stdin"] = True
    return made


def _command(service: Service, context: ConversionContext) -> dict[str, list[str]]:
    entrypoint, command = service.entrypoint, service.command
    if entrypoint == []:
        if command:
            return {"command": [escape_expansion(part) for part in command]}
        context.warn(
            f"services.{service.name}.entrypoint: an empty entrypoint cannot clear the image's "
            "in Kubernetes without a command; the image's is kept"
        )
        return {}
    made = {}
    if entrypoint:
        made["command"] = [escape_expansion(part) for part in entrypoint]
    if command is not None:
        made["args"] = [escape_expansion(part) for part in command]
    return made


def _environment(service: Service, context: ConversionContext) -> dict[str, Any]:
    from_files = {
        key: value
        for key, value in env_file_values(service, context).items()
        if _ENV_NAME.match(key)
    }
    made: dict[str, Any] = {}
    inline = [
        {"name": key, "value": escape_expansion(value)}
        for key, value in service.environment.items()
        if key not in from_files
    ]
    if inline:
        made["env"] = inline
    if from_files:
        name = f"{container_name(service)}-env"
        context.share(env_config_map(name, from_files, context))
        made["envFrom"] = [{"configMapRef": {"name": name}}]
    return made
