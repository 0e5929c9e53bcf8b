"""A Compose service, one replica of it, as the engine's container request.

Pure apart from one input the caller resolves first: which containers the
`service:x` namespace modes and `volumes_from` entries point at (the first
replica of x, named by `Targets`). Durations go from the model's nanoseconds
to the engine's seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator.errors import OrchestratorError
from runtime.containers.model import (
    ContainerRequest,
    Healthcheck,
    LogConfig,
    NetworkAttachment,
    RestartPolicy,
)
from runtime.containers.spec import (
    ContainerSpec,
    DeviceMapping,
    MountSpec,
    NamespaceMode,
    Resources,
    Ulimit,
)
from runtime.network.model import PortRequest
from runtime.network.ports import parse_long_syntax
from specs.model import Mount, Project, Service

NANOSECONDS = 1e9
SERVICE_PREFIX = "service:"
_DEPLOY_RESTART = {"none": "no", "on-failure": "on-failure", "any": "always"}


@dataclass(frozen=True)
class Targets:
    """Containers the service's `service:x` references resolve to, by service name."""

    containers: Mapping[str, str] = field(default_factory=dict)
    """Service name -> the name of its first replica's container."""
    link_addresses: Mapping[str, str] = field(default_factory=dict)
    """Service name -> an address of its first container (for `links` aliases)."""

    def container_of(self, service: str, needed_by: str, key: str) -> str:
        found = self.containers.get(service)
        if found is None:
            raise OrchestratorError(
                f"service {needed_by} uses {key}: service:{service}, which has no container: "
                f"start {service} first (or drop --no-deps)"
            )
        return found


def _seconds(nanoseconds: int | None) -> float | None:
    return None if nanoseconds is None else nanoseconds / NANOSECONDS


def _namespace(service: Service, key: str, targets: Targets) -> NamespaceMode:
    value: str | None = getattr(service, key)
    if value is None or value in ("bridge", "private", "shareable"):
        return NamespaceMode()
    if value.startswith(SERVICE_PREFIX):
        owner = value[len(SERVICE_PREFIX) :]
        return NamespaceMode("container", targets.container_of(owner, service.name, key))
    return NamespaceMode.parse(value)


def _mount(project: Project, mount: Mount) -> MountSpec:
    if mount.type == "volume":
        source = project.volumes[mount.source].name if mount.source else None
        return MountSpec(
            "volume",
            mount.target,
            source,
            read_only=mount.read_only,
            no_copy=bool(mount.volume and mount.volume.nocopy),
        )
    if mount.type == "tmpfs":
        return MountSpec(
            "tmpfs",
            mount.target,
            read_only=mount.read_only,
            tmpfs_size=mount.tmpfs.size if mount.tmpfs else None,
            tmpfs_mode=mount.tmpfs.mode if mount.tmpfs else None,
        )
    return MountSpec(
        "bind",
        mount.target,
        mount.source,
        read_only=mount.read_only,
        propagation=mount.bind.propagation if mount.bind else None,
        create_host_path=bool(mount.bind and mount.bind.create_host_path),
    )


def _tmpfs(entry: str) -> MountSpec:
    """`/path[:size=64m,mode=1777]` from the service's `tmpfs` list."""
    target, _, options = entry.partition(":")
    size: int | None = None
    mode: int | None = None
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if key == "size":
            from runtime.containers.model import parse_size

            size = parse_size(value)
        elif key == "mode":
            mode = int(value, 8)
    return MountSpec("tmpfs", target, tmpfs_size=size, tmpfs_mode=mode)


def _resources(service: Service) -> Resources:
    limits = service.deploy.resources.limits
    reservations = service.deploy.resources.reservations
    return Resources(
        memory=limits.memory,
        memory_reservation=reservations.memory,
        memory_swap=service.memswap_limit,
        cpus=limits.cpus,
        cpu_shares=service.cpu_shares,
        cpuset_cpus=service.cpuset,
        pids_limit=limits.pids,
    )


def _restart(service: Service) -> RestartPolicy:
    policy = service.deploy.restart_policy
    if service.restart is None and policy is not None:
        name = _DEPLOY_RESTART[policy.condition]
        if name == "on-failure" and policy.max_attempts:
            return RestartPolicy.parse(f"on-failure:{policy.max_attempts}")
        return RestartPolicy.parse(name)
    return RestartPolicy.parse(service.restart)


def _healthcheck(service: Service) -> Healthcheck | None:
    check = service.healthcheck
    if check is None:
        return None
    return Healthcheck(
        test=tuple(check.test) if check.test is not None else None,
        interval=_seconds(check.interval),
        timeout=_seconds(check.timeout),
        retries=check.retries,
        start_period=_seconds(check.start_period),
        start_interval=_seconds(check.start_interval),
    )


def _ports(service: Service) -> tuple[PortRequest, ...]:
    requests: list[PortRequest] = []
    for port in service.ports:
        requests += parse_long_syntax(
            port.target, port.published, port.host_ip or "", port.protocol
        )
    return tuple(requests)


def _networks(project: Project, service: Service) -> tuple[NetworkAttachment, ...]:
    if service.network_mode not in (None, "bridge"):
        return ()
    return tuple(
        NetworkAttachment(
            project.networks[key].name,
            aliases=(service.name, *attachment.aliases),
            ipv4_address=attachment.ipv4_address,
        )
        for key, attachment in service.networks.items()
    )


def _extra_hosts(service: Service, targets: Targets) -> tuple[tuple[str, str], ...]:
    hosts = [
        (name, address) for name, addresses in service.extra_hosts.items() for address in addresses
    ]
    for link in service.links:
        target, _, alias = link.partition(":")
        address = targets.link_addresses.get(target)
        if alias and alias != target and address:
            hosts.append((alias, address))
    return tuple(hosts)


def container_spec(
    project: Project,
    service: Service,
    name: str,
    *,
    labels: Mapping[str, str],
    image_config: Mapping[str, object],
    targets: Targets,
    extra_mounts: Sequence[MountSpec] = (),
    command: Sequence[str] | None = None,
) -> ContainerSpec:
    """The run options of one container of `service` (`command` overrides the service's)."""
    mounts = [_mount(project, mount) for mount in service.volumes]
    mounts += [_tmpfs(entry) for entry in service.tmpfs]
    mounts += extra_mounts
    wanted = command if command is not None else service.command
    return ContainerSpec(
        name=name,
        image_config=image_config,
        command=tuple(wanted) if wanted is not None else None,
        entrypoint=tuple(service.entrypoint) if service.entrypoint is not None else None,
        env=dict(service.environment),
        working_dir=service.working_dir,
        user=service.user,
        hostname=service.hostname,
        domainname=service.domainname,
        mounts=tuple(mounts),
        resources=_resources(service),
        cap_add=tuple(service.cap_add),
        cap_drop=tuple(service.cap_drop),
        privileged=service.privileged,
        read_only=service.read_only,
        sysctls=dict(service.sysctls),
        ulimits=tuple(
            Ulimit(key, limit.soft, limit.hard) for key, limit in service.ulimits.items()
        ),
        devices=tuple(
            DeviceMapping(device.source, device.target, device.permissions)
            for device in service.devices
        ),
        security_opt=tuple(service.security_opt),
        shm_size=service.shm_size,
        init=service.init,
        tty=service.tty,
        stdin_open=service.stdin_open,
        stop_signal=service.stop_signal,
        stop_grace_period=_seconds(service.stop_grace_period) or 10.0,
        network=_namespace(service, "network_mode", targets),
        ipc=_namespace(service, "ipc", targets),
        pid=_namespace(service, "pid", targets),
        uts=_namespace(service, "uts", targets),
        labels={**service.labels, **labels},
    )


def container_request(
    project: Project,
    service: Service,
    spec: ContainerSpec,
    image: str,
    targets: Targets,
    *,
    publish: bool = True,
) -> ContainerRequest:
    """The engine's request for one container of `service` from its run options."""
    logging = service.logging
    return ContainerRequest(
        spec=spec,
        image=image,
        networks=_networks(project, service),
        ports=_ports(service) if publish else (),
        healthcheck=_healthcheck(service),
        restart=_restart(service),
        log=LogConfig(
            driver=(logging.driver if logging and logging.driver else "json-file"),
            options=dict(logging.options) if logging else {},
        ),
        dns=tuple(service.dns),
        dns_search=tuple(service.dns_search),
        dns_options=tuple(service.dns_opt),
        extra_hosts=_extra_hosts(service, targets),
    )
