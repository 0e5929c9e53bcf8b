"""An OCI bundle from an image config and run options, with Docker's defaults.

    build_spec(...)  -> Spec      pure: image config + ContainerSpec + resolved inputs
    write_bundle(...) -> Path     the bundle directory with its config.json

Docker's defaults: environment PATH (when the image has none), HOSTNAME,
TERM with a tty, HOME from the user's passwd entry; the image's working dir
and user; its 14 capabilities; the masked and read-only /proc and /sys paths;
the /dev, /dev/pts, /dev/shm (64 MiB), /dev/mqueue, /sys (read-only) and
cgroup mounts; the default device rules and seccomp profile; all containers'
cgroups under one parent named after the engine instance.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.containers.spec import (
    DEFAULT_SHM_SIZE,
    ContainerSpec,
    ContainerSpecError,
    NamespaceMode,
)
from runtime.errors import EngineError
from runtime.linux import capabilities, devices, sysctl
from runtime.linux.seccomp import default_profile
from runtime.linux.users import resolve_user
from runtime.oci import spec as oci

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
CPU_PERIOD = 100_000
NAMESPACE_OF = {"network": "net", "ipc": "ipc", "pid": "pid", "uts": "uts", "cgroup": "cgroup"}


@dataclass(frozen=True)
class BundleInputs:
    """What the container layer has resolved before the bundle is written.

    `rootfs`: the mounted root; `files`: host paths bound at /etc/hosts,
    /etc/hostname, /etc/resolv.conf (None: not bound); `mounts`: the run's
    mounts as OCI mounts (from runtime.volumes); `namespace_paths`: resolved
    paths for namespaces shared with other containers ("network" -> path).
    """

    container_id: str
    rootfs: Path
    cgroup_parent: str
    mounts: tuple[oci.Mount, ...] = ()
    files: Mapping[str, Path] | None = None
    namespace_paths: Mapping[str, str] | None = None
    cgroup_v2: bool = False
    init_path: str | None = None


# Static init programs for `--init`, as Docker (docker-init is tini) and podman (catatonit) use.
INIT_PROGRAMS = ("/usr/bin/catatonit", "/usr/bin/tini-static", "/usr/bin/docker-init")
# Bound under /dev, a tmpfs of the container's own, so no mount point lands in the upper dir.
INIT_TARGET = "/dev/init"


def find_init(explicit: str | None = None) -> str:
    """The host path of a static init for `init: true`."""
    for candidate in (explicit,) if explicit else INIT_PROGRAMS:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ContainerSpecError(
        "init: true needs a static init program: install catatonit (or tini) on the host"
    )


def command_line(spec: ContainerSpec) -> list[str]:
    """Entrypoint + command as Docker combines them (a run entrypoint resets the image's Cmd)."""
    config = spec.image_config
    entrypoint = (
        list(spec.entrypoint)
        if spec.entrypoint is not None
        else list(config.get("Entrypoint") or [])
    )
    if spec.command is not None:
        command = list(spec.command)
    elif spec.entrypoint is not None:
        command = []
    else:
        command = list(config.get("Cmd") or [])
    args = entrypoint + command
    if not args:
        raise ContainerSpecError(f"container {spec.name}: no command specified")
    return args


def environment(spec: ContainerSpec, hostname: str, home: str) -> list[str]:
    """Image env, then HOSTNAME/TERM/HOME defaults, then the run's env (which wins)."""
    env: dict[str, str] = {}
    env["PATH"] = DEFAULT_PATH
    env["HOSTNAME"] = hostname
    for item in spec.image_config.get("Env") or []:
        key, _, value = item.partition("=")
        env[key] = value
    if spec.tty:
        env.setdefault("TERM", "xterm")
    env.setdefault("HOME", home)
    env.update(spec.env)
    return [f"{key}={value}" for key, value in env.items()]


def _default_mounts(spec: ContainerSpec) -> list[oci.Mount]:
    ro = [] if spec.privileged else ["ro"]
    shm = spec.shm_size or DEFAULT_SHM_SIZE
    return [
        oci.Mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        oci.Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        oci.Mount(
            "/dev/pts",
            "devpts",
            "devpts",
            ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        ),
        oci.Mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", *ro]),
        oci.Mount(
            "/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", *ro]
        ),
        oci.Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        oci.Mount(
            "/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", f"size={shm}"]
        ),
    ]


def _namespaces(spec: ContainerSpec, inputs: BundleInputs) -> list[oci.Namespace]:
    result = [oci.Namespace("mount")]
    modes: dict[str, NamespaceMode] = {
        "network": spec.network,
        "ipc": spec.ipc,
        "pid": spec.pid,
        "uts": spec.uts,
        "cgroup": spec.cgroupns,
    }
    for kind, mode in modes.items():
        if mode.mode == "host":
            continue
        if mode.mode in ("private", "none"):
            result.append(oci.Namespace(kind))
        elif mode.mode == "path":
            result.append(oci.Namespace(kind, mode.value))
        else:
            path = (inputs.namespace_paths or {}).get(kind)
            if not path:
                raise ContainerSpecError(
                    f"{kind} namespace of container {mode.value!r} was not resolved to a path"
                )
            result.append(oci.Namespace(kind, path))
    return result


def _resources(spec: ContainerSpec, rules: list[oci.DeviceRule]) -> oci.Resources:
    r = spec.resources
    memory = None
    if r.memory or r.memory_reservation:
        swap = r.memory_swap
        if r.memory and swap is None:
            swap = 2 * r.memory  # Docker: as much swap as memory unless told
        memory = oci.Memory(limit=r.memory, reservation=r.memory_reservation, swap=swap)
    cpu = None
    if r.cpus or r.cpu_shares or r.cpu_quota or r.cpuset_cpus or r.cpuset_mems:
        period, quota = r.cpu_period, r.cpu_quota
        if r.cpus:
            if r.cpus <= 0 or r.cpus > (os.cpu_count() or 1):
                raise ContainerSpecError(
                    f"cpus {r.cpus} is out of range: this machine has {os.cpu_count()} CPUs"
                )
            period = CPU_PERIOD
            quota = math.ceil(r.cpus * CPU_PERIOD)
        cpu = oci.Cpu(r.cpu_shares, quota, period, r.cpuset_cpus, r.cpuset_mems)
    pids = oci.Pids(r.pids_limit) if r.pids_limit else None
    return oci.Resources(devices=rules, memory=memory, cpu=cpu, pids=pids)


def _devices(spec: ContainerSpec) -> tuple[list[oci.Device], list[oci.DeviceRule]]:
    if spec.privileged:
        return [], [oci.DeviceRule(allow=True, access="rwm")]
    rules = [
        oci.DeviceRule(
            rule.allow, None if rule.kind == "a" else rule.kind, rule.major, rule.minor, rule.access
        )
        for rule in devices.DEFAULT_RULES
    ]
    nodes = []
    for mapping in spec.devices:
        try:
            node = devices.host_device(mapping.host_path)
        except EngineError as exc:
            raise ContainerSpecError(f"device {mapping.host_path}: {exc}") from None
        nodes.append(
            oci.Device(
                mapping.container_path or mapping.host_path,
                node.kind,
                node.major,
                node.minor,
                node.mode,
                node.uid,
                node.gid,
            )
        )
        rules.append(oci.DeviceRule(True, node.kind, node.major, node.minor, mapping.permissions))
    return nodes, rules


def build_spec(spec: ContainerSpec, inputs: BundleInputs) -> oci.Spec:
    """The OCI config of a container: Docker's defaults, the image's config, the run options."""
    try:
        caps = capabilities.resolve_set(spec.privileged, spec.cap_add, spec.cap_drop)
    except ValueError as exc:
        raise ContainerSpecError(str(exc)) from None
    if inputs.cgroup_v2 and not spec.privileged and "CAP_MKNOD" in caps:
        caps.remove("CAP_MKNOD")  # no device controller on v2 here: see cgroups/v2.py
    user = resolve_user(inputs.rootfs, spec.user or spec.image_config.get("User"), spec.group_add)
    hostname = spec.hostname or inputs.container_id[:12]
    host_network = spec.network.mode == "host"
    for key in spec.sysctls:
        sysctl.check_namespaced(key, host_network)
    args = command_line(spec)
    extra_mounts: list[oci.Mount] = []
    if spec.init:
        init = find_init(inputs.init_path)
        extra_mounts.append(oci.Mount(INIT_TARGET, "bind", init, ["bind", "ro", "nosuid", "nodev"]))
        args = [INIT_TARGET, "--", *args]
    process = oci.Process(
        args=args,
        env=environment(spec, hostname, user.home),
        cwd=spec.working_dir or spec.image_config.get("WorkingDir") or "/",
        terminal=spec.tty,
        user=oci.User(uid=user.uid, gid=user.gid, additional_gids=list(user.additional_gids)),
        capabilities=oci.Capabilities(bounding=caps, effective=caps, permitted=caps),
        rlimits=[oci.Rlimit(f"RLIMIT_{u.name.upper()}", u.hard, u.soft) for u in spec.ulimits],
        no_new_privileges=spec.no_new_privileges,
        oom_score_adj=spec.oom_score_adj,
    )
    node_list, rules = _devices(spec)
    seccomp_choice = spec.seccomp_profile
    if spec.privileged or seccomp_choice == "unconfined":
        seccomp = None
    elif seccomp_choice:
        import json

        try:
            seccomp = json.loads(Path(seccomp_choice).read_text())
        except (OSError, ValueError) as exc:
            raise ContainerSpecError(f"seccomp profile {seccomp_choice}: {exc}") from None
    else:
        seccomp = default_profile(caps)
    mounts = _default_mounts(spec)
    for name, target in (
        ("resolv.conf", "/etc/resolv.conf"),
        ("hostname", "/etc/hostname"),
        ("hosts", "/etc/hosts"),
    ):
        source = (inputs.files or {}).get(name)
        if source is not None:
            mounts.append(oci.Mount(target, "bind", str(source), ["rbind", "rprivate"]))
    user_targets = {m.destination for m in inputs.mounts}
    mounts = [m for m in mounts if m.destination not in user_targets] + list(inputs.mounts)
    mounts += extra_mounts
    propagation = None
    if any(o in ("shared", "rshared") for m in inputs.mounts for o in m.options):
        propagation = "rshared"
    elif any(o in ("slave", "rslave") for m in inputs.mounts for o in m.options):
        propagation = "rslave"
    linux = oci.Linux(
        namespaces=_namespaces(spec, inputs),
        devices=node_list,
        cgroups_path=f"/{inputs.cgroup_parent}/{inputs.container_id}",
        resources=_resources(spec, rules),
        rootfs_propagation=propagation,
        seccomp=seccomp,
        sysctl=dict(spec.sysctls),
        masked_paths=[] if spec.privileged else list(MASKED_PATHS),
        readonly_paths=[] if spec.privileged else list(READONLY_PATHS),
    )
    annotations = dict(spec.annotations)
    annotations.setdefault("org.opencontainers.image.stopSignal", spec.effective_stop_signal)
    return oci.Spec(
        process=process,
        root=oci.Root(str(inputs.rootfs), spec.read_only),
        hostname=hostname,
        domainname=spec.domainname,
        mounts=mounts,
        linux=linux,
        annotations=annotations,
    )


def write_bundle(directory: Path, spec: oci.Spec) -> Path:
    """Write `spec` as `<directory>/config.json`; return the bundle directory."""
    directory.mkdir(parents=True, exist_ok=True)
    oci.write_spec(directory, spec)
    return directory


def write_container_files(
    directory: Path, hostname: str, hosts: Sequence[str] = (), resolv_conf: str | None = None
) -> dict[str, Path]:
    """The engine-owned /etc/hostname, /etc/hosts and /etc/resolv.conf of a container."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "hostname": directory / "hostname",
        "hosts": directory / "hosts",
        "resolv.conf": directory / "resolv.conf",
    }
    files["hostname"].write_text(hostname + "\n")
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", *hosts]
    files["hosts"].write_text("\n".join(lines) + "\n")
    if resolv_conf is None:
        resolv_conf = _host_resolv_conf()
    files["resolv.conf"].write_text(resolv_conf)
    return files


def _host_resolv_conf() -> str:
    # Docker drops loopback resolvers, which cannot work from another network namespace.
    try:
        text = Path("/etc/resolv.conf").read_text()
    except OSError:
        return ""
    kept = [
        line
        for line in text.splitlines()
        if not (line.startswith("nameserver") and (" 127." in line or " ::1" in line))
    ]
    return "\n".join(kept) + "\n"
