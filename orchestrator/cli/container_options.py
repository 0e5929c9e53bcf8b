"""`docker run` flags to a ContainerRequest: plain data in, plain data out (unit-tested).

-v name:/path[:ro]  /host:/path[:ro]  /path       --mount type=...,source=...,target=...
--tmpfs /path[:size=64m,mode=1777]                -e K=V, -e K (from this environment)
--env-file FILE                                   -m 512m, --memory-swap 1g|-1, --cpus 1.5
-p [ip:][host:]container[/proto]                  --health-cmd/-interval/-timeout/...
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runtime.containers.model import (
    ContainerRequest,
    Healthcheck,
    LogConfig,
    NetworkAttachment,
    RestartPolicy,
    parse_size,
)
from runtime.containers.spec import (
    ContainerSpec,
    ContainerSpecError,
    DeviceMapping,
    MountSpec,
    NamespaceMode,
    Resources,
    Ulimit,
)
from runtime.containers.timestamps import parse_duration
from runtime.network.ports import parse_port_spec

parse_memory = parse_size


def parse_seconds(text: str, what: str) -> float:
    """A Go duration (`30s`, `1m30s`, `500ms`); a bare number is seconds."""
    value = parse_duration(text)
    if value is None:
        try:
            value = float(text)
        except ValueError:
            raise ContainerSpecError(
                f"invalid {what}: {text!r} (use e.g. 30s, 1m, 500ms)"
            ) from None
    if value < 0:
        raise ContainerSpecError(f"invalid {what}: {text!r}")
    return value


def parse_env(
    items: Sequence[str], files: Sequence[str], environ: Mapping[str, str]
) -> dict[str, str]:
    """`--env-file` lines, then `-e` (which win); `K` alone takes K from `environ` if set."""
    result: dict[str, str] = {}
    lines: list[str] = []
    for name in files:
        try:
            lines += Path(name).read_text().splitlines()
        except OSError as exc:
            raise ContainerSpecError(f"cannot read env file {name}: {exc.strerror}") from None
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    for entry in [*entries, *items]:
        key, sep, value = entry.partition("=")
        if not key:
            raise ContainerSpecError(f"invalid environment variable: {entry!r}")
        if sep:
            result[key] = value
        elif key in environ:
            result[key] = environ[key]
    return result


def parse_volume(text: str) -> MountSpec:
    """`-v`: `/path` (anonymous), `name:/path[:opts]`, `/host:/path[:opts]`; opts ro,rw,z,Z,nocopy,propagation."""
    parts = text.split(":")
    options: list[str] = []
    if len(parts) == 1:
        return MountSpec("volume", parts[0])
    if len(parts) == 3:
        options = parts[2].split(",")
    elif len(parts) != 2:
        raise ContainerSpecError(f"invalid volume specification: {text!r}")
    source, target = parts[0], parts[1]
    if not target.startswith("/"):
        raise ContainerSpecError(
            f"invalid volume specification: {text!r}: the target must be absolute"
        )
    read_only = "ro" in options
    propagation = next((o for o in options if o in ("shared", "rshared", "slave", "rslave",
                                                   "private", "rprivate")), None)  # fmt: skip
    if source.startswith("/") or source.startswith("."):
        return MountSpec("bind", target, str(Path(source).absolute()), read_only, propagation)
    return MountSpec("volume", target, source, read_only, no_copy="nocopy" in options)


def parse_mount(text: str) -> MountSpec:
    """`--mount type=bind|volume|tmpfs,source=...,target=...,readonly,...`."""
    fields: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        fields[key.strip().lower()] = value if sep else "true"
    kind = fields.get("type", "volume")
    target = fields.get("target") or fields.get("destination") or fields.get("dst")
    if not target:
        raise ContainerSpecError(f"invalid mount {text!r}: target is required")
    source = fields.get("source") or fields.get("src") or None
    read_only = fields.get("readonly", fields.get("ro", "false")) in ("true", "1")
    if kind == "tmpfs":
        size = fields.get("tmpfs-size")
        mode = fields.get("tmpfs-mode")
        return MountSpec("tmpfs", target, None, read_only, tmpfs_size=parse_memory(size) if size else None,
                         tmpfs_mode=int(mode, 8) if mode else None)  # fmt: skip
    if kind == "bind":
        if not source:
            raise ContainerSpecError(f"invalid mount {text!r}: a bind mount needs a source")
        return MountSpec("bind", target, str(Path(source).absolute()), read_only,
                         fields.get("bind-propagation"), create_host_path=False)  # fmt: skip
    if kind != "volume":
        raise ContainerSpecError(f"invalid mount type {kind!r}")
    return MountSpec(
        "volume", target, source, read_only, no_copy=fields.get("volume-nocopy") == "true"
    )


def parse_tmpfs(text: str) -> MountSpec:
    """`--tmpfs /path[:size=64m,mode=1777]`."""
    target, _, opts = text.partition(":")
    size = mode = None
    for option in filter(None, opts.split(",")):
        key, _, value = option.partition("=")
        if key == "size":
            size = parse_memory(value)
        elif key == "mode":
            mode = int(value, 8)
    return MountSpec("tmpfs", target, tmpfs_size=size, tmpfs_mode=mode)


def parse_pairs(items: Sequence[str], what: str) -> dict[str, str]:
    """`KEY=VALUE` items (`--label`, `--sysctl`, `--log-opt`)."""
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise ContainerSpecError(f"invalid {what}: {item!r}")
        result[key] = value if sep else ""
    return result


def parse_ulimit(text: str) -> Ulimit:
    name, _, values = text.partition("=")
    soft, _, hard = values.partition(":")
    try:
        return Ulimit(name, int(soft), int(hard or soft))
    except ValueError:
        raise ContainerSpecError(f"invalid ulimit {text!r}: use name=soft[:hard]") from None


def parse_device(text: str) -> DeviceMapping:
    parts = text.split(":")
    return DeviceMapping(parts[0], parts[1] if len(parts) > 1 else None,
                         parts[2] if len(parts) > 2 else "rwm")  # fmt: skip


def parse_host(text: str) -> tuple[str, str]:
    name, sep, address = text.partition(":")
    if not sep:
        name, sep, address = text.partition("=")
    if not sep or not name or not address:
        raise ContainerSpecError(f"invalid --add-host {text!r}: use host:ip")
    return name, address


@dataclass
class RunOptions:
    """The flags of `container run/create`, as typed on the command line."""

    image: str
    command: list[str] = field(default_factory=list)
    name: str | None = None
    detach: bool = False
    interactive: bool = False
    tty: bool = False
    remove: bool = False
    env: list[str] = field(default_factory=list)
    env_file: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    tmpfs: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    network_aliases: list[str] = field(default_factory=list)
    ip: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    memory: str | None = None
    memory_swap: str | None = None
    memory_reservation: str | None = None
    cpus: float | None = None
    cpu_shares: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None
    workdir: str | None = None
    user: str | None = None
    group_add: list[str] = field(default_factory=list)
    entrypoint: str | None = None
    restart: str | None = None
    health_cmd: str | None = None
    health_interval: str | None = None
    health_timeout: str | None = None
    health_retries: int | None = None
    health_start_period: str | None = None
    health_start_interval: str | None = None
    no_healthcheck: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    read_only: bool = False
    init: bool = False
    labels: list[str] = field(default_factory=list)
    log_driver: str | None = None
    log_opts: list[str] = field(default_factory=list)
    runtime: str | None = None
    stop_signal: str | None = None
    stop_timeout: int | None = None
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    add_hosts: list[str] = field(default_factory=list)
    sysctls: list[str] = field(default_factory=list)
    ulimits: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    security_opts: list[str] = field(default_factory=list)
    shm_size: str | None = None
    ipc: str | None = None
    pid: str | None = None
    uts: str | None = None
    oom_score_adj: int | None = None


def _healthcheck(o: RunOptions) -> Healthcheck | None:
    if o.no_healthcheck:
        return Healthcheck(test=("NONE",))
    timings = (o.health_interval, o.health_timeout, o.health_start_period, o.health_start_interval)
    if o.health_cmd is None and o.health_retries is None and not any(timings):
        return None

    def seconds(text: str | None, what: str) -> float | None:
        return parse_seconds(text, what) if text else None

    return Healthcheck(
        test=("CMD-SHELL", o.health_cmd) if o.health_cmd else None,
        interval=seconds(o.health_interval, "--health-interval"),
        timeout=seconds(o.health_timeout, "--health-timeout"),
        retries=o.health_retries,
        start_period=seconds(o.health_start_period, "--health-start-period"),
        start_interval=seconds(o.health_start_interval, "--health-start-interval"),
    )


def _network(o: RunOptions) -> tuple[NamespaceMode, tuple[NetworkAttachment, ...]]:
    names = o.networks or []
    if len(names) == 1 and (names[0] in ("host", "none", "bridge", "default")
                            or names[0].startswith("container:")):  # fmt: skip
        mode = NamespaceMode.parse("" if names[0] == "default" else names[0])
        if mode.mode != "private":
            return mode, ()
        names = ["bridge"]
    attachments = tuple(
        NetworkAttachment(
            name,
            aliases=tuple(o.network_aliases) if index == 0 else (),
            ipv4_address=o.ip if index == 0 else None,
        )
        for index, name in enumerate(names)
    )
    return NamespaceMode(), attachments


def build_request(o: RunOptions, environ: Mapping[str, str] | None = None) -> ContainerRequest:
    """The ContainerRequest the flags describe; ContainerSpecError for a bad one."""
    environ = os.environ if environ is None else environ
    if o.remove and o.restart and o.restart != "no":
        raise ContainerSpecError("conflicting options: --restart and --rm")
    network, attachments = _network(o)
    mounts = [
        *map(parse_volume, o.volumes),
        *map(parse_mount, o.mounts),
        *map(parse_tmpfs, o.tmpfs),
    ]
    memory = parse_memory(o.memory) if o.memory else None
    swap = None
    if o.memory_swap:
        swap = -1 if o.memory_swap.strip() == "-1" else parse_memory(o.memory_swap)
    spec = ContainerSpec(
        name=o.name or "",
        command=tuple(o.command) if o.command else None,
        entrypoint=(tuple([o.entrypoint]) if o.entrypoint else ())
        if o.entrypoint is not None
        else None,
        env=parse_env(o.env, o.env_file, environ),
        working_dir=o.workdir,
        user=o.user,
        group_add=tuple(o.group_add),
        hostname=o.hostname,
        domainname=o.domainname,
        mounts=tuple(mounts),
        resources=Resources(
            memory=memory,
            memory_reservation=parse_memory(o.memory_reservation) if o.memory_reservation else None,
            memory_swap=swap,
            cpus=o.cpus,
            cpu_shares=o.cpu_shares,
            cpuset_cpus=o.cpuset_cpus,
            cpuset_mems=o.cpuset_mems,
            pids_limit=o.pids_limit,
        ),
        cap_add=tuple(o.cap_add),
        cap_drop=tuple(o.cap_drop),
        privileged=o.privileged,
        read_only=o.read_only,
        sysctls=parse_pairs(o.sysctls, "--sysctl"),
        ulimits=tuple(map(parse_ulimit, o.ulimits)),
        devices=tuple(map(parse_device, o.devices)),
        security_opt=tuple(o.security_opts),
        shm_size=parse_memory(o.shm_size) if o.shm_size else None,
        init=o.init,
        tty=o.tty,
        stdin_open=o.interactive,
        stop_signal=o.stop_signal,
        stop_grace_period=float(o.stop_timeout) if o.stop_timeout is not None else 10.0,
        oom_score_adj=o.oom_score_adj,
        network=network,
        ipc=NamespaceMode.parse(o.ipc),
        pid=NamespaceMode.parse(o.pid),
        uts=NamespaceMode.parse(o.uts),
        labels=parse_pairs(o.labels, "--label"),
    )
    if o.publish and network.mode in ("host", "none"):
        publish: list[str] = []  # Docker drops published ports in these modes
    else:
        publish = o.publish
    return ContainerRequest(
        spec=spec,
        image=o.image,
        networks=attachments,
        ports=tuple(port for item in publish for port in parse_port_spec(item)),
        healthcheck=_healthcheck(o),
        restart=RestartPolicy.parse(o.restart),
        log=LogConfig(o.log_driver or "json-file", parse_pairs(o.log_opts, "--log-opt")),
        auto_remove=o.remove,
        runtime=o.runtime,
        dns=tuple(o.dns),
        dns_search=tuple(o.dns_search),
        dns_options=tuple(o.dns_options),
        extra_hosts=tuple(map(parse_host, o.add_hosts)),
        stdin_once=o.interactive and not o.detach,
    )
