"""A container's network sandbox: its pinned network namespace, endpoints, ports and name files.

Modes (ContainerSpec.network):

    private    a namespace pinned under the run root, owned by the container,
               connected at start to the request's networks (the default
               `bridge` network when none), ports published, released at stop
               (addresses kept), forgotten at removal
    none       a pinned namespace with loopback only
    host       the host's namespace; the host's resolv.conf and hosts
    container  another container's pinned namespace (its owner's, if that one
               joins a third); its hosts and resolv.conf are shared
    path       a namespace given by path, joined as is

The pin outlives the container's processes, so a restart, a recreation
(`ContainerRequest.sandbox`) or `container:` joiners keep the same namespace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.containers.errors import ContainerError
from runtime.containers.model import ContainerRequest, NetworkAttachment
from runtime.linux import netns
from runtime.network.model import ResolverFiles, ResolverOptions

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.network import Networks

FILE_NAMES = ("hosts", "hostname", "resolv.conf")


@dataclass(frozen=True)
class SandboxPlan:
    """What `create` decided about a container's network namespace.

    `mode` is private, none, host, container or path; `pin` the namespace
    path the bundle joins ("" for host); `owner` the container that owns it
    when joined (container mode); `owned` whether this container owns the pin.
    """

    mode: str
    pin: str
    owner: str = ""
    owned: bool = False
    hostname: str = ""


def plan_sandbox(
    networks: Networks,
    request: ContainerRequest,
    container_id: str,
    owner: Container | None,
) -> SandboxPlan:
    """Decide the namespace of a new container (`owner`: the container of `container:<x>`)."""
    mode = request.spec.network
    hostname = request.spec.hostname or ""
    if mode.mode == "host":
        # As Docker's: the host's network comes with the host's name (in a UTS namespace of its own).
        return SandboxPlan("host", "", hostname=hostname or os.uname().nodename)
    if mode.mode == "path":
        return SandboxPlan("path", str(mode.value), hostname=hostname or container_id[:12])
    if mode.mode == "container":
        if owner is None:
            raise ContainerError(f"no such container: {mode.value}")
        if request.ports:
            raise ContainerError(
                "conflicting options: port publishing and the container type network mode"
            )
        if request.networks:
            raise ContainerError(
                "conflicting options: networks and the container type network mode"
            )
        sandbox = owner.resolved.get("sandbox") or {}
        if sandbox.get("mode") == "host":
            return SandboxPlan("host", "", hostname=hostname or os.uname().nodename)
        owner_id = sandbox.get("owner") or owner.id
        return SandboxPlan(
            "container",
            str(sandbox.get("pin") or ""),
            owner=owner_id,
            hostname=hostname or str(owner.resolved.get("hostname") or owner.id[:12]),
        )
    kind = "none" if mode.mode == "none" else "private"
    if request.sandbox:
        if not netns.is_pinned(request.sandbox):
            raise ContainerError(f"network namespace {request.sandbox} is not pinned")
        pin = request.sandbox
    else:
        pin = str(networks.namespace_path(container_id))
    return SandboxPlan(kind, pin, owned=True, hostname=hostname or container_id[:12])


def file_paths(own_files: Path, plan: SandboxPlan, owner_files: Path | None) -> dict[str, Path]:
    """The host files bound at /etc/hosts, /etc/hostname, /etc/resolv.conf."""
    paths = {name: own_files / name for name in FILE_NAMES}
    if plan.mode == "container" and owner_files is not None:
        paths["hosts"] = owner_files / "hosts"
        paths["resolv.conf"] = owner_files / "resolv.conf"
    return paths


def _resolver_options(request: ContainerRequest, hostname: str) -> ResolverOptions:
    return ResolverOptions(
        hostname=hostname,
        domainname=request.spec.domainname or "",
        dns=request.dns,
        dns_search=request.dns_search,
        dns_options=request.dns_options,
        extra_hosts=request.extra_hosts,
    )


def write_files(directory: Path, files: ResolverFiles) -> None:
    """Rewrite the engine-owned files in place (they are bind mounts while it runs)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("hosts", files.hosts),
        ("hostname", files.hostname),
        ("resolv.conf", files.resolv_conf),
    ):
        path = directory / name
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


def prepare_files(directory: Path, request: ContainerRequest, plan: SandboxPlan) -> None:
    """The files as they are before the first start (placeholders the bundle can bind)."""
    from runtime.network.networks import host_resolver_files, isolated_resolver_files

    options = _resolver_options(request, plan.hostname)
    if plan.mode == "host":
        write_files(directory, host_resolver_files(options))
    else:
        write_files(directory, isolated_resolver_files(options))


def bring_up(networks: Networks, container: Container, plan: SandboxPlan, files: Path) -> list[str]:
    """At start: pin, connect, publish, write the name files. Returns the networks joined."""
    from runtime.network.networks import host_resolver_files, isolated_resolver_files

    request = container.request
    options = _resolver_options(request, plan.hostname)
    if plan.mode == "container":
        if not plan.pin or not netns.is_pinned(plan.pin):
            raise ContainerError(
                f"cannot join the network of container {plan.owner[:12]}: it is not running"
            )
        return []
    if plan.mode == "host":
        write_files(files, host_resolver_files(options))
        return []
    if plan.mode == "path":
        if not os.path.exists(plan.pin):
            raise ContainerError(f"network namespace {plan.pin} does not exist")
        write_files(files, isolated_resolver_files(options))
        return []
    if not netns.is_pinned(plan.pin):
        netns.create(plan.pin)
    if plan.mode == "none":
        write_files(files, isolated_resolver_files(options))
        return []
    attachments = request.networks or (NetworkAttachment(networks.ensure_default().name),)
    joined = []
    for attachment in attachments:
        networks.connect(
            attachment.network,
            plan.pin,
            container_id=container.id,
            container_name=container.name,
            hostname=plan.hostname,
            aliases=attachment.aliases,
            ipv4_address=attachment.ipv4_address,
            mac_address=attachment.mac_address,
        )
        joined.append(attachment.network)
    if request.ports:
        networks.publish(container.id, request.ports)
    write_files(files, networks.resolver_files(container.id, options))
    return joined


def release(networks: Networks, container_id: str, plan: SandboxPlan) -> None:
    """At stop: the container's veths and published ports go; its addresses stay reserved."""
    if plan.mode == "private":
        networks.release(container_id)


def forget(networks: Networks, container_id: str, plan: SandboxPlan, keep_pin: bool) -> None:
    """At removal: everything of the container's networking, and its pin unless kept."""
    if plan.mode not in ("private", "none"):
        return
    if plan.mode == "none":
        if plan.owned and not keep_pin:
            netns.remove(plan.pin)
        return
    if keep_pin:
        live = [e for e in networks.endpoints(container_id=container_id) if e.active]
        if not live:
            networks.forget(container_id)
        return
    networks.forget(container_id)
    if plan.owned:
        netns.remove(plan.pin)
