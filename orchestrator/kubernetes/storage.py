"""Storage: what a service mounts, as Pod volumes, and claims for named volumes.

    named volume      a PersistentVolumeClaim named like the volume (`<project>-<key>`),
                      or a `volumeClaimTemplates` entry of a StatefulSet that alone uses it
    external volume   a claim of that name, expected to exist
    anonymous volume  an emptyDir (the Pod's, as long as it lives)
    tmpfs, shm_size   an emptyDir in memory, with its size as the limit
    bind mount        a hostPath volume only with `--allow-hostpath` (a cluster node
                      does not have this machine's files); else left out, with a warning

`volumes_from` repeats the other service's mounts; an anonymous volume can
only be shared inside one Pod.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.extensions import volume_settings
from orchestrator.kubernetes.metadata import as_annotations, object_metadata
from orchestrator.kubernetes.naming import NameAllocator, dns_label
from orchestrator.kubernetes.resources import memory_quantity
from specs.model import Mount, Service
from specs.units import parse_size

_PROPAGATION = {
    "rshared": "Bidirectional",
    "shared": "Bidirectional",
    "rslave": "HostToContainer",
    "slave": "HostToContainer",
}


@dataclass
class PodVolumes:
    """The volumes of one Pod, each made once however many containers mount it."""

    allocator: NameAllocator = field(default_factory=NameAllocator)
    volumes: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    """Named volumes mounted (by their key in the project) and their Pod volume names."""

    def add(self, key: tuple[str, ...], preferred: str, source: Mapping[str, Any]) -> str:
        """The Pod volume for `key`, made with `source` the first time."""
        known = self.volumes.get(key)
        if known is not None:
            return str(known["name"])
        name = self.allocator.take(preferred)
        self.volumes[key] = {"name": name, **source}
        return name

    def listing(self, templated: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The Pod's `volumes`, less the claims a StatefulSet makes from templates."""
        left_out = {self.claims[key] for key in templated}
        return [volume for volume in self.volumes.values() if volume["name"] not in left_out]


def service_mounts(
    service: Service, context: ConversionContext, volumes: PodVolumes, in_pod: set[str]
) -> list[dict[str, Any]]:
    """The `volumeMounts` of a service's container (its volumes, tmpfs, shm, volumes_from)."""
    mounts = []
    for mount in service.volumes:
        made = _mount(service.name, mount, context, volumes, f"services.{service.name}.volumes")
        if made is not None:
            mounts.append(made)
    mounts.extend(_volumes_from(service, context, volumes, in_pod))
    for entry in service.tmpfs:
        target, _, options = entry.partition(":")
        mounts.append(_memory(service.name, target, _tmpfs_size(options), volumes))
    if service.shm_size and service.shm_size > 0:
        mounts.append(_memory(service.name, "/dev/shm", service.shm_size, volumes))
    return mounts


def claim_documents(
    context: ConversionContext, users: Mapping[str, list[tuple[str, int]]], templated: set[str]
) -> list[dict[str, Any]]:
    """A PersistentVolumeClaim for each named volume not made elsewhere. `users` maps a
    volume key to the (workload, replicas) that mount it; `templated` volumes are made
    by a StatefulSet."""
    documents = []
    for key, volume in context.project.volumes.items():
        origin = f"volumes.{key}"
        if volume.driver or volume.driver_opts:
            context.warn(
                f"{origin}: driver and driver_opts are not carried; the cluster's "
                "storage class decides"
            )
        if volume.external or key in templated:
            continue
        metadata = object_metadata(
            dns_label(volume.name, what="volume"),
            context.labels,
            extra_annotations=as_annotations(volume.labels, origin, context.warn),
        )
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": metadata,
                "spec": claim_spec(context, key, access_mode(context, key, users.get(key, []))),
            }
        )
    return documents


def access_mode(context: ConversionContext, key: str, mounted_by: Sequence[tuple[str, int]]) -> str:
    """How the claim of the named volume `key` is mounted, given the (workload, replicas) that
    mount it: ReadWriteMany when several Pods do, unless `x-kubernetes.access-mode` says."""
    volume = context.project.volumes[key]
    settings = volume_settings(volume.extensions, f"volumes.{key}")
    shared = len(mounted_by) > 1 or any(replicas > 1 for _, replicas in mounted_by)
    return settings.access_mode or ("ReadWriteMany" if shared else "ReadWriteOnce")


def claim_spec(context: ConversionContext, key: str, mode: str) -> dict[str, Any]:
    """The spec of a claim for the named volume `key`."""
    volume = context.project.volumes[key]
    settings = volume_settings(volume.extensions, f"volumes.{key}")
    spec: dict[str, Any] = {
        "accessModes": [mode],
        "resources": {"requests": {"storage": settings.size}},
    }
    if settings.storage_class is not None:
        spec["storageClassName"] = settings.storage_class
    return spec


def _mount(
    owner: str, mount: Mount, context: ConversionContext, volumes: PodVolumes, origin: str
) -> dict[str, Any] | None:
    target = mount.target
    if mount.type == "volume" and mount.source:
        volume = context.project.volumes[mount.source]
        claim = dns_label(volume.name, what="volume")
        name = volumes.add(
            ("claim", mount.source),
            mount.source,
            {"persistentVolumeClaim": {"claimName": claim}},
        )
        volumes.claims[mount.source] = name
    elif mount.type == "volume":
        name = volumes.add(("anonymous", owner, target), _label_of(target), {"emptyDir": {}})
    elif mount.type == "tmpfs":
        size = mount.tmpfs.size if mount.tmpfs else None
        return _memory(owner, target, size, volumes)
    else:
        source = mount.source or ""
        if not context.options.allow_hostpath:
            context.warn(
                f"{origin}: the bind mount of {source} on {target} is left out: cluster nodes "
                "do not have this machine's files (use a volume or a config, or pass "
                "--allow-hostpath to mount the node's path)"
            )
            return None
        name = volumes.add(("host", source), _label_of(source), {"hostPath": _host_path(mount)})
    made: dict[str, Any] = {"name": name, "mountPath": target}
    if mount.read_only:
        made["readOnly"] = True
    propagation = mount.bind.propagation if mount.bind else None
    if propagation in _PROPAGATION:
        made["mountPropagation"] = _PROPAGATION[propagation]
    return made


def _volumes_from(
    service: Service, context: ConversionContext, volumes: PodVolumes, in_pod: set[str]
) -> list[dict[str, Any]]:
    mounts = []
    origin = f"services.{service.name}.volumes_from"
    for entry in service.volumes_from:
        parts = entry.split(":")
        if parts[0] == "container":
            context.warn(f"{origin}: {entry} names a container outside the app; left out")
            continue
        source = context.project.services.get(parts[0])
        if source is None:
            continue
        read_only = len(parts) > 1 and parts[1] == "ro"
        for mount in source.volumes:
            if mount.type == "tmpfs":
                continue
            if mount.is_anonymous and source.name not in in_pod:
                context.warn(
                    f"{origin}: the anonymous volume {mount.target} of {source.name} lives in "
                    "another Pod and cannot be shared; left out (make it a named volume)"
                )
                continue
            shared = mount.model_copy(update={"read_only": mount.read_only or read_only})
            made = _mount(source.name, shared, context, volumes, origin)
            if made is not None:
                mounts.append(made)
    return mounts


def _memory(owner: str, target: str, size: int | None, volumes: PodVolumes) -> dict[str, Any]:
    source: dict[str, Any] = {"medium": "Memory"}
    if size:
        source["sizeLimit"] = memory_quantity(size)
    name = volumes.add(("memory", owner, target), _label_of(target), {"emptyDir": source})
    return {"name": name, "mountPath": target}


def _host_path(mount: Mount) -> dict[str, Any]:
    path = mount.source or ""
    source: dict[str, Any] = {"path": path}
    if os.path.isfile(path):
        source["type"] = "File"
    elif os.path.isdir(path) or (mount.bind is not None and mount.bind.create_host_path):
        source["type"] = "DirectoryOrCreate"
    return source


def _tmpfs_size(options: str) -> int | None:
    for option in options.split(","):
        key, _, value = option.partition("=")
        if key.strip() == "size" and value:
            try:
                return parse_size(value.strip())
            except ValueError:
                return None
    return None


def _label_of(path: str) -> str:
    cleaned = posixpath.normpath(path).strip("/").replace("/", "-")
    return cleaned if any(char.isalnum() for char in cleaned) else "volume"
