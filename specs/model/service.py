"""A service: the container(s) to run for one entry of `services`, fully normalised."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_serializer, field_validator

from specs.model.base import SpecModel
from specs.model.build import Build
from specs.model.deploy import Deploy
from specs.model.files import FileReference
from specs.model.healthcheck import Healthcheck
from specs.model.mounts import Device, Mount
from specs.model.networks import ServiceNetwork
from specs.model.options import ULIMIT_NAMES, Dependency, EnvFile, Logging, Ulimit
from specs.model.ports import Port
from specs.model.scalars import (
    ContainerPath,
    Duration,
    HostName,
    IPAddress,
    NonNegative,
    Signal,
    SizeOrUnlimited,
    VariableName,
    Word,
)
from specs.suggestions import did_you_mean

CAPABILITIES = frozenset(
    [
        "ALL",
        "AUDIT_CONTROL",
        "AUDIT_READ",
        "AUDIT_WRITE",
        "BLOCK_SUSPEND",
        "BPF",
        "CHECKPOINT_RESTORE",
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "IPC_LOCK",
        "IPC_OWNER",
        "KILL",
        "LEASE",
        "LINUX_IMMUTABLE",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "MKNOD",
        "NET_ADMIN",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_RAW",
        "PERFMON",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYSLOG",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_CHROOT",
        "SYS_MODULE",
        "SYS_NICE",
        "SYS_PACCT",
        "SYS_PTRACE",
        "SYS_RAWIO",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "WAKE_ALARM",
    ]
)
SERVICE_PREFIX = "service:"
CONTAINER_PREFIX = "container:"
_CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
_CPUSET = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
_EXPOSE = re.compile(r"^\d+(-\d+)?/(tcp|udp|sctp)$")
_NAMESPACE_MODES = {
    "network_mode": ("bridge", "host", "none"),
    "ipc": ("private", "shareable", "host", "none"),
    "pid": ("host",),
    "uts": ("host",),
}


def _capability(value: str) -> str:
    name = value.upper()
    name = name[4:] if name.startswith("CAP_") else name
    if name not in CAPABILITIES:
        raise ValueError(f'"{value}" is not a Linux capability{did_you_mean(name, CAPABILITIES)}')
    return name


def _ulimit_name(name: str) -> str:
    if name not in ULIMIT_NAMES:
        raise ValueError(f"'{name}' is not a ulimit{did_you_mean(name, ULIMIT_NAMES)}")
    return name


def _form(pattern: re.Pattern[str], expected: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f'"{value}" is not {expected}')
        return value

    return AfterValidator(check)


Capability = Annotated[str, AfterValidator(_capability)]
UlimitName = Annotated[str, AfterValidator(_ulimit_name)]
CpuSet = Annotated[str, _form(_CPUSET, "a CPU list (like 0-3 or 0,2)")]
ExposedPort = Annotated[str, _form(_EXPOSE, "a port (like 3000, 3000/udp or 8000-8010)")]
TmpfsMount = Annotated[str, _form(re.compile(r"^/"), "an absolute path in the container")]


def _shared_mode(field: str, value: str | None) -> str | None:
    """Check a namespace mode: one of the plain modes, `service:<name>` or `container:<name>`."""
    if value is None:
        return None
    for prefix in (SERVICE_PREFIX, CONTAINER_PREFIX):
        if value.startswith(prefix):
            if not value[len(prefix) :]:
                raise ValueError(f'"{value}" names no {prefix[:-1]}')
            return value
    plain = _NAMESPACE_MODES[field]
    if value not in plain:
        choices = ", ".join(f'"{mode}"' for mode in plain)
        raise ValueError(
            f'"{value}" is not a {field} (expected {choices}, "service:<name>" or "container:<name>")'
        )
    return value


class Service(SpecModel):
    """One service of the project, normalised: long syntax everywhere, absolute paths,
    durations in nanoseconds, sizes in bytes, environment as a mapping.

    Memory, CPU and process limits and the replica count live in `deploy`.
    """

    name: str = Field(default="", exclude=True)
    """The service's key in `services`."""

    # What runs.
    image: str | None = None
    build: Build | None = None
    pull_policy: Literal["always", "never", "missing", "build"] | None = None
    """When to pull the image; None is `missing` (pull when absent)."""
    platform: str | None = None
    """The image platform to use (`linux/amd64`...)."""
    command: list[str] | None = None
    """Replaces the image's CMD; None keeps it."""
    entrypoint: list[str] | None = None
    """Replaces the image's ENTRYPOINT; None keeps it, [] clears it."""
    working_dir: ContainerPath | None = None
    user: str | None = None
    environment: dict[VariableName, str] = Field(default_factory=dict)
    """The container's variables: `env_file` contents overlaid with `environment`;
    variables without a value took theirs from the project's environment or were dropped."""
    env_file: list[EnvFile] = Field(default_factory=list)
    """Where part of `environment` came from (already read into it)."""
    labels: dict[str, str] = Field(default_factory=dict)
    init: bool = False
    """Run a small init as PID 1 that reaps zombies and forwards signals."""
    tty: bool = False
    stdin_open: bool = False
    stop_signal: Signal | None = None
    stop_grace_period: Duration | None = None
    """Time between the stop signal and SIGKILL, in nanoseconds (default 10s)."""
    restart: str | None = None
    """`no`, `always`, `unless-stopped`, `on-failure` or `on-failure:<max retries>`."""
    healthcheck: Healthcheck | None = None

    # Identity and order.
    container_name: str | None = None
    hostname: HostName | None = None
    domainname: HostName | None = None
    depends_on: dict[str, Dependency] = Field(default_factory=dict)
    """Services to wait for, including those Compose implies (links, `service:` namespaces,
    volumes_from)."""
    profiles: list[str] = Field(default_factory=list)
    """The service runs only when one of these profiles is active (always when empty)."""

    # Network.
    networks: dict[str, ServiceNetwork] = Field(default_factory=dict)
    """Networks joined, by their key in the project's `networks`."""
    network_mode: str | None = None
    """`bridge`, `host`, `none`, `service:<name>` or `container:<name>` (`net:` ends here)."""
    ports: list[Port] = Field(default_factory=list)
    expose: list[ExposedPort] = Field(default_factory=list)
    """Ports declared but not published, as `PORT[-END]/PROTOCOL`."""
    links: list[str] = Field(default_factory=list)
    """`service` or `service:alias`."""
    extra_hosts: dict[Word, list[IPAddress | Literal["host-gateway"]]] = Field(default_factory=dict)
    """More /etc/hosts entries: host name to addresses."""
    dns: list[IPAddress] = Field(default_factory=list)
    dns_search: list[Word] = Field(default_factory=list)
    dns_opt: list[Word] = Field(default_factory=list)

    # Storage.
    volumes: list[Mount] = Field(default_factory=list)
    volumes_from: list[str] = Field(default_factory=list)
    """`service[:ro|rw]` or `container:name[:ro|rw]`."""
    tmpfs: list[TmpfsMount] = Field(default_factory=list)
    """tmpfs mounts as `/path[:mount options]`."""
    configs: list[FileReference] = Field(default_factory=list)
    secrets: list[FileReference] = Field(default_factory=list)

    # Resources and privileges (memory/cpus/pids limits: see `deploy`).
    deploy: Deploy = Field(default_factory=Deploy)
    memswap_limit: SizeOrUnlimited | None = None
    """Memory plus swap, in bytes; -1 for unlimited swap."""
    cpu_shares: NonNegative | None = None
    cpuset: CpuSet | None = None
    """CPUs the container may run on (`0-3`, `0,2`)."""
    shm_size: SizeOrUnlimited | None = None
    """Size of /dev/shm in bytes."""
    ulimits: dict[UlimitName, Ulimit] = Field(default_factory=dict)
    cap_add: list[Capability] = Field(default_factory=list)
    """Capabilities added, without the `CAP_` prefix (`NET_ADMIN`, or `ALL`)."""
    cap_drop: list[Capability] = Field(default_factory=list)
    privileged: bool = False
    read_only: bool = False
    security_opt: list[str] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    sysctls: dict[str, str] = Field(default_factory=dict)
    ipc: str | None = None
    pid: str | None = None
    uts: str | None = None
    logging: Logging | None = None

    content_digest: str = Field(default="", exclude=True)
    """A digest of what the service reads from outside the file (configs and secrets
    content), filled by the loader for `config_hash()`."""

    internal_fields = frozenset({"extensions", "name", "content_digest"})
    rewritten = frozenset(
        {"extends", "net", "mem_limit", "mem_reservation", "cpus", "pids_limit", "scale"}
    )
    unsupported = frozenset(
        {
            "annotations",
            "attach",
            "blkio_config",
            "cgroup",
            "cgroup_parent",
            "cpu_count",
            "cpu_percent",
            "cpu_period",
            "cpu_quota",
            "cpu_rt_period",
            "cpu_rt_runtime",
            "credential_spec",
            "develop",
            "device_cgroup_rules",
            "external_links",
            "gpus",
            "group_add",
            "isolation",
            "label_file",
            "mac_address",
            "mem_swappiness",
            "models",
            "oom_kill_disable",
            "oom_score_adj",
            "post_start",
            "pre_start",
            "pre_stop",
            "provider",
            "pull_refresh_after",
            "runtime",
            "storage_opt",
            "use_api_socket",
            "userns_mode",
        }
    )

    @field_validator("restart")
    @classmethod
    def _check_restart(cls, value: str | None) -> str | None:
        if value is not None and not _RESTART.match(value):
            raise ValueError(
                f'"{value}" is not a restart policy (expected "no", "always", "on-failure", '
                '"on-failure:<max retries>" or "unless-stopped")'
            )
        return value

    @field_validator("container_name")
    @classmethod
    def _check_container_name(cls, value: str | None) -> str | None:
        if value is not None and not _CONTAINER_NAME.match(value):
            raise ValueError(
                f'"{value}" is not a container name (a letter or digit, then letters, digits, '
                '".", "_" or "-")'
            )
        return value

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        if value is not None and (not value or any(char.isspace() for char in value)):
            raise ValueError(f'"{value}" is not an image reference')
        return value

    @field_validator("network_mode", "ipc", "pid", "uts")
    @classmethod
    def _check_namespace(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _shared_mode(info.field_name or "", value)

    @field_validator("volumes_from")
    @classmethod
    def _check_volumes_from(cls, values: list[str]) -> list[str]:
        for value in values:
            parts = value.split(":")
            if parts[0] == "container":
                parts = parts[1:]
            if not parts[0] or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("ro", "rw")):
                raise ValueError(
                    f'"{value}" is not a volumes_from entry (expected SERVICE[:ro|rw] or '
                    "container:NAME[:ro|rw])"
                )
        return values

    @field_serializer("networks", when_used="always")
    def _networks_as_compose_writes_them(
        self, networks: dict[str, ServiceNetwork]
    ) -> dict[str, object]:
        return {key: (attachment.model_dump() or None) for key, attachment in networks.items()}

    @property
    def replicas(self) -> int:
        """How many containers run this service."""
        return self.deploy.replicas

    @property
    def restart_policy(self) -> tuple[str, int | None]:
        """The restart policy as (name, max retries): ("on-failure", 3), ("always", None)..."""
        name, _, retries = (self.restart or "no").partition(":")
        return name, int(retries) if retries else None

    def shared_namespace_owner(self) -> str | None:
        """The service whose network namespace this one joins (`network_mode: service:x`)."""
        if self.network_mode and self.network_mode.startswith(SERVICE_PREFIX):
            return self.network_mode[len(SERVICE_PREFIX) :]
        return None

    def config_hash(self) -> str:
        """A stable digest of everything that reaches the container (see `specs.hashing`)."""
        from specs.hashing import service_hash

        return service_hash(self)
