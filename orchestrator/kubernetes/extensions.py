"""`x-kubernetes`: what a Compose file may say for the Kubernetes target only.

    services:
      web:
        x-kubernetes:
          kind: StatefulSet            # Deployment, StatefulSet or Job
          service-type: LoadBalancer   # ClusterIP (default), NodePort or LoadBalancer
          labels: {team: shop}         # real labels on the workload, Pods and Service
          annotations: {...}           # annotations on the same
    volumes:
      data:
        x-kubernetes: {size: 10Gi, storage-class: fast, access-mode: ReadWriteOnce}
    x-kubernetes:
      wait-image: busybox:1.36         # the image of the init containers that wait

Unknown keys and bad values are errors, as they are in the rest of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.metadata import labels as checked_labels

KEY = "x-kubernetes"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
DEFAULT_WAIT_IMAGE = "busybox:1.36"
DEFAULT_VOLUME_SIZE = "1Gi"
_QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


@dataclass(frozen=True)
class ServiceSettings:
    """`services.<name>.x-kubernetes`."""

    kind: str | None = None
    service_type: str = "ClusterIP"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeSettings:
    """`volumes.<key>.x-kubernetes`."""

    size: str = DEFAULT_VOLUME_SIZE
    storage_class: str | None = None
    access_mode: str | None = None


@dataclass(frozen=True)
class ProjectSettings:
    """The top-level `x-kubernetes`."""

    wait_image: str = DEFAULT_WAIT_IMAGE


def service_settings(extensions: Mapping[str, Any], origin: str) -> ServiceSettings:
    """The Kubernetes settings of a service (`origin` is `services.<name>`)."""
    values = _section(extensions, origin, ("kind", "service-type", "labels", "annotations"))
    where = f"{origin}.{KEY}"
    kind = values.get("kind")
    if kind is not None:
        kind = _choice(kind, WORKLOAD_KINDS, f"{where}.kind")
    service_type = _choice(
        values.get("service-type", "ClusterIP"), SERVICE_TYPES, f"{where}.service-type"
    )
    return ServiceSettings(
        kind=kind,
        service_type=service_type,
        labels=checked_labels(_mapping(values.get("labels"), f"{where}.labels"), where),
        annotations={
            str(key): "" if value is None else str(value)
            for key, value in _mapping(values.get("annotations"), f"{where}.annotations").items()
        },
    )


def volume_settings(extensions: Mapping[str, Any], origin: str) -> VolumeSettings:
    """The Kubernetes settings of a named volume (`origin` is `volumes.<key>`)."""
    values = _section(extensions, origin, ("size", "storage-class", "access-mode"))
    where = f"{origin}.{KEY}"
    size = str(values.get("size", DEFAULT_VOLUME_SIZE))
    if not _QUANTITY.match(size):
        raise KubernetesError(f'{where}.size: "{size}" is not a Kubernetes quantity, like 10Gi')
    storage_class = values.get("storage-class")
    access_mode = values.get("access-mode")
    if access_mode is not None:
        access_mode = _choice(access_mode, ACCESS_MODES, f"{where}.access-mode")
    return VolumeSettings(
        size=size,
        storage_class=None if storage_class is None else str(storage_class),
        access_mode=access_mode,
    )


def project_settings(extensions: Mapping[str, Any]) -> ProjectSettings:
    """The project-wide Kubernetes settings."""
    values = _section(extensions, "", ("wait-image",))
    image = str(values.get("wait-image", DEFAULT_WAIT_IMAGE))
    if not image or any(char.isspace() for char in image):
        raise KubernetesError(f'{KEY}.wait-image: "{image}" is not an image reference')
    return ProjectSettings(wait_image=image)


def _section(extensions: Mapping[str, Any], origin: str, known: tuple[str, ...]) -> dict[str, Any]:
    where = f"{origin}.{KEY}" if origin else KEY
    values = _mapping(extensions.get(KEY), where)
    for key in values:
        if key not in known:
            expected = ", ".join(known)
            raise KubernetesError(f"{where}: unknown key '{key}' (expected {expected})")
    return values


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise KubernetesError(f"{where}: expected a mapping")
    return {str(key): item for key, item in value.items()}


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    for choice in choices:
        if str(value).lower() == choice.lower():
            return choice
    expected = ", ".join(choices)
    raise KubernetesError(f'{where}: "{value}" is not one of {expected}')
