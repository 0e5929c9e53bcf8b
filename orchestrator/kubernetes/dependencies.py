"""`depends_on` as init containers: a Pod starts its services once their dependencies are there.

    service_started, service_healthy
        an init container (`wait-for-<dependency>`, a busybox shell) waits until the
        dependency's Service reaches a ready Pod: a TCP connection to its first TCP
        port, or, for a headless Service, its name resolving (only ready Pods are in
        its DNS answer). A Pod is ready when its readiness probe - the healthcheck -
        passes, so `service_healthy` waits for health; without a healthcheck, ready
        means started. A Service with only UDP ports can only be waited for until its
        name resolves, that is until the Service exists.
    service_completed_successfully
        the dependency runs as an init container of the Pod, after its own
        dependencies: the Pod starts once it has exited 0, and it is retried when it
        fails. A service that is only ever waited for this way (no ports, no aliases,
        no other kind of dependent) has no workload of its own; otherwise it runs both
        ways, and a warning says so.

Dependencies inside one Pod need nothing: its containers start together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.grouping import PodGroup
from orchestrator.kubernetes.services import aliases, declared_ports
from specs.model import Project, Service

COMPLETED = "service_completed_successfully"
_FIND_DOMAIN = """\
domain=""
while read -r key value _; do
  if [ "$key" = search ]; then domain="$value"; break; fi
done < /etc/resolv.conf
"""


@dataclass(frozen=True)
class InitStep:
    """One init container of a Pod: wait for a group's Service, or run a service to the end."""

    wait_for: PodGroup | None = None
    run: Service | None = None


def init_only_services(
    project: Project, groups: list[PodGroup], context: ConversionContext
) -> set[str]:
    """The services that run only as init containers of the Pods that wait for them."""
    dependents: dict[str, set[str]] = {}
    for service in project.services.values():
        for name, dependency in service.depends_on.items():
            dependents.setdefault(name, set()).add(dependency.condition)
    result = set()
    for group in groups:
        service = group.owner
        conditions = dependents.get(service.name, set())
        if COMPLETED not in conditions:
            continue
        alone = (
            len(group.members) == 1
            and conditions == {COMPLETED}
            and not declared_ports(service)
            and not aliases(project, group, context.warn)
            and "kind" not in (service.extensions.get("x-kubernetes") or {})
        )
        if alone:
            result.add(service.name)
        else:
            context.warn(
                f"services.{service.name}: runs as an init container of the Pods that wait for "
                "it to complete, and also as its own workload"
            )
    return result


def init_steps(
    group: PodGroup, project: Project, group_of: Mapping[str, PodGroup]
) -> list[InitStep]:
    """The init containers of a group's Pod, in the order they run."""
    members = {service.name for service in group.members}
    steps: list[InitStep] = []
    waited: set[str] = set()
    ran: set[str] = set()

    def visit(service: Service, path: frozenset[str]) -> None:
        for name in sorted(service.depends_on):
            target = project.services.get(name)
            if target is None or name in members or name in path:
                continue
            if service.depends_on[name].condition == COMPLETED:
                if name not in ran:
                    visit(target, path | {name})
                    steps.append(InitStep(run=target))
                    ran.add(name)
                continue
            dependency = group_of[name]
            if dependency.name not in waited and dependency.name != group.name:
                steps.append(InitStep(wait_for=dependency))
                waited.add(dependency.name)

    for member in group.members:
        visit(member, frozenset({member.name}))
    return steps


def wait_container(target: str, spec: Mapping[str, Any], image: str) -> dict[str, Any]:
    """The init container that waits for the Service `target` (with `spec`) to have a ready Pod."""
    tcp = [port["port"] for port in spec.get("ports", []) if port["protocol"] == "TCP"]
    waiting = f'do echo "waiting for {target}"; sleep 2; done'
    if tcp:
        script = f"until nc -z -w 2 {target} {tcp[0]}; {waiting}"
    else:
        script = f'{_FIND_DOMAIN}until nslookup "{target}.$domain" >/dev/null 2>&1; {waiting}\n'
    return {"name": f"wait-for-{target}"[:63], "image": image, "command": ["sh", "-c", script]}
