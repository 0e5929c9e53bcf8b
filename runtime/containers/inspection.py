"""`inspect` in Docker's shape, and `top`: what a user (or a pasted template) expects to find.

Id Created Path Args State{Status Running Paused Restarting OOMKilled Dead Pid
ExitCode Error StartedAt FinishedAt Health} Image ResolvConfPath HostnamePath
HostsPath LogPath Name RestartCount Driver Platform HostConfig GraphDriver
Mounts Config NetworkSettings
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.containers.errors import ContainerError, ContainerStateConflict
from runtime.containers.paths import ContainerPaths
from runtime.containers.timestamps import ZERO_TIME
from runtime.linux.cgroups import detect_driver
from runtime.oci.spec import SpecFormatError, load_spec

if TYPE_CHECKING:
    from runtime.containers.manager import Containers
    from runtime.containers.model import Container


def _state(container: Container) -> dict[str, Any]:
    s = container.state
    data: dict[str, Any] = {
        "Status": s.status,
        "Running": s.running,
        "Paused": s.paused,
        "Restarting": s.restarting,
        "OOMKilled": s.oom_killed,
        "Dead": s.status == "dead",
        "Pid": s.pid,
        "ExitCode": s.exit_code,
        "Error": s.error,
        "StartedAt": s.started_at or ZERO_TIME,
        "FinishedAt": s.finished_at or ZERO_TIME,
    }
    if s.health is not None:
        data["Health"] = {
            "Status": s.health.status,
            "FailingStreak": s.health.failing_streak,
            "Log": [
                {"Start": r.start, "End": r.end, "ExitCode": r.exit_code, "Output": r.output}
                for r in s.health.log
            ],
        }
    return data


def _process(paths: ContainerPaths) -> dict[str, Any]:
    try:
        spec = load_spec(paths.bundle)
    except SpecFormatError:
        return {}
    return spec.process.to_dict() if spec.process else {}


def _config(container: Container, process: dict[str, Any]) -> dict[str, Any]:
    spec = container.spec
    image = dict(container.resolved.get("image_config") or {})
    health = container.resolved.get("health")
    entrypoint = list(spec.entrypoint) if spec.entrypoint is not None else image.get("Entrypoint")
    if spec.command is not None:
        cmd: Any = list(spec.command)
    elif spec.entrypoint is not None:
        cmd = None
    else:
        cmd = image.get("Cmd")
    exposed = dict(image.get("ExposedPorts") or {})
    for port in container.request.ports:
        exposed.setdefault(f"{port.container_port}/{port.protocol}", {})
    data: dict[str, Any] = {
        "Hostname": container.resolved.get("hostname") or container.id[:12],
        "Domainname": spec.domainname or "",
        "User": spec.user or image.get("User") or "",
        "AttachStdin": spec.stdin_open,
        "AttachStdout": True,
        "AttachStderr": True,
        "ExposedPorts": exposed or None,
        "Tty": spec.tty,
        "OpenStdin": spec.stdin_open,
        "StdinOnce": container.request.stdin_once,
        "Env": process.get("env", []),
        "Cmd": cmd,
        "Image": container.image,
        "Volumes": image.get("Volumes"),
        "WorkingDir": spec.working_dir or image.get("WorkingDir") or "",
        "Entrypoint": entrypoint,
        "OnBuild": image.get("OnBuild"),
        "Labels": dict(container.labels),
        "StopSignal": spec.effective_stop_signal,
        "StopTimeout": int(spec.stop_grace_period),
    }
    if health:
        data["Healthcheck"] = {
            "Test": list(health["test"]),
            "Interval": int(health["interval"] * 1e9),
            "Timeout": int(health["timeout"] * 1e9),
            "StartPeriod": int(health["start_period"] * 1e9),
            "StartInterval": int(health["start_interval"] * 1e9),
            "Retries": health["retries"],
        }
    return data


def _port_bindings(container: Container) -> dict[str, list[dict[str, str]]]:
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in container.request.ports:
        host_port = str(port.host_port) if port.host_port else ""
        if port.host_port_end > port.host_port:
            host_port = f"{port.host_port}-{port.host_port_end}"
        bindings.setdefault(f"{port.container_port}/{port.protocol}", []).append(
            {"HostIp": port.host_ip, "HostPort": host_port}
        )
    return bindings


def _host_config(container: Container, paths: ContainerPaths) -> dict[str, Any]:
    spec = container.spec
    r = spec.resources
    request = container.request
    mode = spec.network
    network_mode = {"private": "bridge", "host": "host", "none": "none"}.get(mode.mode)
    if network_mode is None:
        network_mode = f"container:{mode.value}" if mode.mode == "container" else str(mode.value)
    if mode.mode == "private" and request.networks:
        network_mode = request.networks[0].network
    return {
        "Binds": [f"{m.source}:{m.target}" for m in spec.mounts if m.kind == "bind"] or None,
        "LogConfig": {"Type": request.log.driver, "Config": dict(request.log.options)},
        "NetworkMode": network_mode,
        "PortBindings": _port_bindings(container),
        "RestartPolicy": {
            "Name": request.restart.name,
            "MaximumRetryCount": request.restart.maximum_retry_count,
        },
        "AutoRemove": request.auto_remove,
        "Runtime": container.runtime,
        "CapAdd": list(spec.cap_add) or None,
        "CapDrop": list(spec.cap_drop) or None,
        "Dns": list(request.dns),
        "DnsOptions": list(request.dns_options),
        "DnsSearch": list(request.dns_search),
        "ExtraHosts": [f"{h}:{a}" for h, a in request.extra_hosts] or None,
        "GroupAdd": list(spec.group_add) or None,
        "IpcMode": "private" if spec.ipc.mode == "private" else f"{spec.ipc.mode}:{spec.ipc.value}",
        "PidMode": "" if spec.pid.mode == "private" else spec.pid.mode,
        "UTSMode": "" if spec.uts.mode == "private" else spec.uts.mode,
        "Privileged": spec.privileged,
        "ReadonlyRootfs": spec.read_only,
        "SecurityOpt": list(spec.security_opt) or None,
        "Tmpfs": {m.target: "" for m in spec.mounts if m.kind == "tmpfs"} or None,
        "ShmSize": spec.shm_size or 64 * 1024 * 1024,
        "Init": spec.init,
        "OomScoreAdj": spec.oom_score_adj or 0,
        "Memory": r.memory or 0,
        "MemoryReservation": r.memory_reservation or 0,
        "MemorySwap": r.memory_swap or 0,
        "NanoCpus": int((r.cpus or 0) * 1e9),
        "CpuShares": r.cpu_shares or 0,
        "CpuPeriod": r.cpu_period or 0,
        "CpuQuota": r.cpu_quota or 0,
        "CpusetCpus": r.cpuset_cpus or "",
        "CpusetMems": r.cpuset_mems or "",
        "PidsLimit": r.pids_limit,
        "Ulimits": [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in spec.ulimits] or None,
        "Sysctls": dict(spec.sysctls) or None,
        "CgroupParent": "",
        "Cgroup": container.resolved.get("cgroup", ""),
    }


def _mounts(manager: Containers, container: Container) -> list[dict[str, Any]]:
    volumes_root = str(manager.store.layout.volumes) + "/"
    result = []
    for mount in container.resolved.get("mounts") or []:
        options = mount.get("options") or []
        source = str(mount.get("source") or "")
        entry: dict[str, Any] = {
            "Type": "bind",
            "Source": source,
            "Destination": mount["destination"],
            "Mode": "ro" if "ro" in options else "",
            "RW": "ro" not in options,
            "Propagation": next((o for o in options if "private" in o or "slave" in o
                                 or "shared" in o), ""),
        }  # fmt: skip
        if mount.get("type") == "tmpfs":
            entry.update(Type="tmpfs", Source="", Propagation="")
        elif source.startswith(volumes_root):
            name = source[len(volumes_root) :].split("/", 1)[0]
            entry.update(Type="volume", Name=name, Driver="local", Mode="z", Propagation="")
        result.append(entry)
    return result


def _network_settings(manager: Containers, container: Container) -> dict[str, Any]:
    endpoints = [e for e in manager.networks.endpoints(container_id=container.id) if e.active]
    names = {n.id: n.name for n in manager.networks.all()}
    ports: dict[str, Any] = {}
    image_ports = (container.resolved.get("image_config") or {}).get("ExposedPorts") or {}
    for key in image_ports:
        ports[key] = None
    for published in manager.networks.published_ports(container.id):
        ports.setdefault(f"{published.container_port}/{published.protocol}", None)
        key = f"{published.container_port}/{published.protocol}"
        ports[key] = (ports[key] or []) + [
            {"HostIp": published.host_ip or "0.0.0.0", "HostPort": str(published.host_port)}
        ]
    networks = {}
    for endpoint in endpoints:
        networks[names.get(endpoint.network_id, endpoint.network_id)] = {
            "Aliases": list(endpoint.aliases) or None,
            "NetworkID": endpoint.network_id,
            "EndpointID": endpoint.host_ifname,
            "Gateway": str(endpoint.gateway),
            "IPAddress": str(endpoint.address),
            "IPPrefixLen": endpoint.prefixlen,
            "MacAddress": endpoint.mac,
            "DNSNames": list(endpoint.names),
        }
    first = endpoints[0] if endpoints else None
    return {
        "Bridge": "",
        "SandboxID": container.id if container.sandbox else "",
        "SandboxKey": (container.resolved.get("sandbox") or {}).get("pin", ""),
        "Ports": ports,
        "Gateway": str(first.gateway) if first else "",
        "IPAddress": str(first.address) if first else "",
        "IPPrefixLen": first.prefixlen if first else 0,
        "MacAddress": first.mac if first else "",
        "Networks": networks,
    }


def inspect_container(manager: Containers, container: Container) -> dict[str, Any]:
    """Docker's `inspect` of one container."""
    paths = ContainerPaths(manager.store.layout, container.id)
    process = _process(paths)
    args = process.get("args") or []
    lowers = [str(p) for p in reversed(manager.images.lower_dirs(container.image_id))]
    dirs = paths.rootfs
    return {
        "Id": container.id,
        "Created": container.created,
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": _state(container),
        "Image": container.image_id,
        "ResolvConfPath": str(paths.files / "resolv.conf"),
        "HostnamePath": str(paths.files / "hostname"),
        "HostsPath": str(paths.files / "hosts"),
        "LogPath": str(paths.log) if container.request.log.driver != "none" else "",
        "Name": "/" + container.name,
        "RestartCount": container.state.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "HostConfig": _host_config(container, paths),
        "GraphDriver": {
            "Name": "overlay2",
            "Data": {
                "LowerDir": ":".join([str(dirs.init), *lowers]),
                "MergedDir": str(dirs.merged),
                "UpperDir": str(dirs.upper),
                "WorkDir": str(dirs.work),
            },
        },
        "Mounts": _mounts(manager, container),
        "Config": _config(container, process),
        "NetworkSettings": _network_settings(manager, container),
    }


def top_container(
    manager: Containers, key: str, ps_args: list[str]
) -> tuple[list[str], list[list[str]]]:
    """`ps` (default `-ef`) on the host, keeping the rows of the container's processes."""
    container = manager.get(key)
    if container.state.status not in ("running", "paused"):
        raise ContainerStateConflict(f"container {container.id} is not running")
    pids = {str(p) for p in detect_driver().pids(container.resolved["cgroup"])}
    try:
        result = subprocess.run(
            ["ps", *(ps_args or ["-ef"])], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise ContainerError("top needs ps (the Debian package procps)") from None
    if result.returncode != 0:
        raise ContainerError(f"ps failed: {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    titles = lines[0].split()
    if "PID" not in titles:
        raise ContainerError("the ps output has no PID column")
    column = titles.index("PID")
    rows = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        if len(fields) > column and fields[column] in pids:
            rows.append(fields)
    return titles, rows


def cgroup_directory(container: Container) -> Path:
    """The container's memory cgroup directory (for tests and diagnostics)."""
    return detect_driver().directory(container.resolved["cgroup"], "memory")
