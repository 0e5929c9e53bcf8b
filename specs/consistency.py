"""Checks across the validated Project: every name a service uses must exist.

Each service needs an image or a build; what it depends on, shares a namespace
with, takes volumes from or links to must be an enabled service; the networks,
named volumes, configs and secrets it uses must be declared; two mounts cannot
share a target; a fixed container name allows one replica; `depends_on`
(with the dependencies Compose implies) has no cycle.
"""

from __future__ import annotations

from collections.abc import Iterable

from specs import nodes
from specs.errors import SpecError
from specs.model.project import Project
from specs.model.service import CONTAINER_PREFIX, SERVICE_PREFIX, Service
from specs.nodes import Node, Path
from specs.suggestions import did_you_mean


def check_consistency(project: Project, root: Node) -> None:
    """Raise SpecError at the first dangling reference or conflict."""
    for name, service in project.services.items():
        _Service(project, root, name, service).check()
    _check_cycles(project, root)


class _Service:
    def __init__(self, project: Project, root: Node, name: str, service: Service):
        self.project = project
        self.root = root
        self.name = name
        self.service = service
        self.path: Path = ("services", name)

    def fail(self, where: Path, message: str, *, key: bool = True) -> SpecError:
        path = (*self.path, *where)
        return nodes.error(nodes.locate(self.root, path, key=key), path, message)

    def check(self) -> None:
        service = self.service
        if service.image is None and service.build is None:
            raise self.fail((), "needs 'image' or 'build' (what should it run?)")
        for key in ("network_mode", "ipc", "pid", "uts"):
            mode = getattr(service, key)
            if mode and mode.startswith(SERVICE_PREFIX):
                self.require_service(mode[len(SERVICE_PREFIX) :], (key,), key=False)
        for index, source in enumerate(service.volumes_from):
            if not source.startswith(CONTAINER_PREFIX):
                self.require_service(source.split(":")[0], ("volumes_from", index), key=False)
        for index, link in enumerate(service.links):
            self.require_service(link.split(":")[0], ("links", index), key=False)
        for dependency in service.depends_on:
            if dependency == self.name:
                raise self.fail(("depends_on", dependency), "a service cannot depend on itself")
            self.require_service(dependency, ("depends_on", dependency))
        self.check_references()
        self.check_mount_targets()
        self.check_network_mode()
        self.check_memory()
        if service.container_name and service.deploy.replicas > 1:
            raise self.fail(
                ("container_name",),
                f"a fixed container name allows one container, not {service.deploy.replicas}",
            )

    def require_service(self, name: str, where: Path, *, key: bool = True) -> None:
        if name in self.project.services:
            return
        disabled = self.project.disabled_services.get(name)
        if disabled is not None:
            profiles = ", ".join(disabled.profiles)
            raise self.fail(
                where,
                f"service '{name}' is not enabled (activate one of its profiles: {profiles})",
                key=key,
            )
        hint = did_you_mean(name, self.project.services)
        raise self.fail(where, f"there is no service '{name}'{hint}", key=key)

    def check_references(self) -> None:
        service = self.service
        if service.network_mode and service.networks:
            raise self.fail(("networks",), "'networks' cannot be set with 'network_mode'")
        for network in service.networks:
            self.require_declared("networks", network, self.project.networks, ("networks", network))
        for index, mount in enumerate(service.volumes):
            if mount.type == "volume" and mount.source:
                where: Path = ("volumes", index)
                self.require_declared(
                    "volumes", mount.source, self.project.volumes, where, key=False
                )
        for section, declared in (
            ("configs", self.project.configs),
            ("secrets", self.project.secrets),
        ):
            for index, reference in enumerate(getattr(service, section)):
                self.require_declared(
                    section, reference.source, declared, (section, index), key=False
                )

    def require_declared(
        self, section: str, name: str, declared: Iterable[str], where: Path, *, key: bool = True
    ) -> None:
        if name in declared:
            return
        kind = section[:-1]
        hint = did_you_mean(name, declared)
        raise self.fail(
            where, f"{kind} '{name}' is not declared under the top-level '{section}'{hint}", key=key
        )

    def check_mount_targets(self) -> None:
        seen: dict[str, Path] = {}
        targets: list[tuple[str, Path]] = [
            (mount.target, ("volumes", index)) for index, mount in enumerate(self.service.volumes)
        ]
        targets += [
            (entry.split(":")[0].rstrip("/") or "/", ("tmpfs", index))
            for index, entry in enumerate(self.service.tmpfs)
        ]
        for section in ("configs", "secrets"):
            targets += [
                (reference.target, (section, index))
                for index, reference in enumerate(getattr(self.service, section))
            ]
        for target, where in targets:
            if target in seen:
                first = nodes.format_path(seen[target])
                raise self.fail(where, f"{target} is already mounted by {first}", key=False)
            seen[target] = where

    def check_network_mode(self) -> None:
        mode = self.service.network_mode or ""
        if self.service.ports and (
            mode == "none" or mode.startswith((SERVICE_PREFIX, CONTAINER_PREFIX))
        ):
            owner = mode.split(":", 1)[1] if ":" in mode else ""
            where = f"; publish them on '{owner}'" if mode.startswith(SERVICE_PREFIX) else ""
            raise self.fail(
                ("ports",), f"ports cannot be published with network_mode '{mode}'{where}"
            )

    def check_memory(self) -> None:
        service = self.service
        resources = service.deploy.resources
        limit = resources.limits.memory
        reservation = resources.reservations.memory
        if limit is not None and reservation is not None and reservation > limit:
            raise self.fail(
                ("deploy", "resources", "reservations", "memory"),
                f"the memory reservation ({reservation} bytes) is above "
                f"the memory limit ({limit} bytes)",
                key=False,
            )
        swap = service.memswap_limit
        if swap is not None and swap != -1:
            if limit is None:
                raise self.fail(
                    ("memswap_limit",), "'memswap_limit' needs a memory limit ('mem_limit')"
                )
            if swap < limit:
                raise self.fail(
                    ("memswap_limit",),
                    f"memory plus swap ({swap} bytes) is below the memory limit ({limit} bytes)",
                    key=False,
                )


def _check_cycles(project: Project, root: Node) -> None:
    """Depth-first search without recursion (a long chain of services must not overflow)."""
    done: set[str] = set()
    for start in project.services:
        if start in done:
            continue
        stack: list[tuple[str, list[str]]] = [(start, list(project.services[start].depends_on))]
        on_path = {start}
        while stack:
            name, pending = stack[-1]
            while pending and (pending[0] in done or pending[0] not in project.services):
                pending.pop(0)
            if not pending:
                stack.pop()
                on_path.discard(name)
                done.add(name)
                continue
            dependency = pending.pop(0)
            if dependency in on_path:
                chain = [entry for entry, _ in stack]
                cycle = [*chain[chain.index(dependency) :], dependency]
                path: Path = ("services", cycle[0], "depends_on", cycle[1])
                raise nodes.error(
                    nodes.locate(root, path, key=True),
                    ("services", cycle[0], "depends_on"),
                    "dependency cycle: " + " -> ".join(cycle),
                )
            on_path.add(dependency)
            stack.append((dependency, list(project.services[dependency].depends_on)))
