"""Configs, secrets and env files: ConfigMaps and Secrets, and how containers see them.

    configs.<key>     a ConfigMap named like the config (`<project>-<key>`), key `<key>`
    secrets.<key>     a Secret (Opaque) named like the secret, key `<key>`
    env_file          a ConfigMap `<service>-env` with the variables the files set,
                      given to the container with `envFrom`

A config or secret is mounted as one file at its target (`subPath`), with its
`mode` when given. External ones are expected to exist in the cluster under
their name, with the same key. Text goes into `data`, anything else into
`binaryData`; an object cannot hold more than 1 MiB.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.metadata import as_annotations, object_metadata
from orchestrator.kubernetes.naming import config_key, dns_label
from orchestrator.kubernetes.storage import PodVolumes
from specs.model import Config, FileReference, Secret, Service

MAX_OBJECT_SIZE = 1 << 20
_KINDS = {
    "configs": ("ConfigMap", "configMap", "name"),
    "secrets": ("Secret", "secret", "secretName"),
}


def file_documents(context: ConversionContext) -> list[dict[str, Any]]:
    """A ConfigMap per config and a Secret per secret the services use (external ones aside)."""
    documents = []
    for section in ("configs", "secrets"):
        used = {
            reference.source
            for service in context.project.services.values()
            for reference in getattr(service, section)
        }
        for key, item in getattr(context.project, section).items():
            if key in used and not item.external:
                documents.append(_document(section, key, item, context))
    return documents


def file_mounts(
    service: Service, context: ConversionContext, volumes: PodVolumes
) -> list[dict[str, Any]]:
    """The `volumeMounts` of a service's configs and secrets, one file each."""
    mounts = []
    for section in ("configs", "secrets"):
        references: list[FileReference] = getattr(service, section)
        for reference in references:
            mounts.append(_mount(section, reference, service, context, volumes))
    return mounts


def env_file_values(service: Service, context: ConversionContext) -> dict[str, str]:
    """The variables of the service's environment that its env files set (with the value
    the files give, when `environment` did not change it)."""
    from specs.dotenv import read_env_file
    from specs.errors import SpecError

    values: dict[str, str] = {}
    for env_file in service.env_file:
        path = Path(env_file.path)
        if not env_file.required and not path.exists():
            continue
        try:
            values.update(
                read_env_file(
                    path, env_file.path, context.project.environment, raw=env_file.format == "raw"
                )
            )
        except SpecError as exc:
            raise KubernetesError(f"services.{service.name}.env_file: {exc}") from None
    return {key: value for key, value in values.items() if service.environment.get(key) == value}


def env_config_map(name: str, values: dict[str, str], context: ConversionContext) -> dict[str, Any]:
    """The ConfigMap holding the env-file variables of one container."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_metadata(name, context.labels),
        "data": dict(values),
    }


def _document(
    section: str, key: str, item: Config | Secret, context: ConversionContext
) -> dict[str, Any]:
    kind = _KINDS[section][0]
    origin = f"{section}.{key}"
    content = _content(item, origin, context)
    if len(content) > MAX_OBJECT_SIZE:
        raise KubernetesError(f"{origin}: {len(content)} bytes do not fit in a {kind} (1 MiB)")
    metadata = object_metadata(
        _object_name(item),
        context.labels,
        extra_annotations=as_annotations(item.labels, origin, context.warn),
    )
    document: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    entry = config_key(key)
    if kind == "Secret":
        document["type"] = "Opaque"
        document["data"] = {entry: base64.b64encode(content).decode("ascii")}
        return document
    try:
        document["data"] = {entry: content.decode("utf-8")}
    except UnicodeDecodeError:
        document["binaryData"] = {entry: base64.b64encode(content).decode("ascii")}
    return document


def _content(item: Config | Secret, origin: str, context: ConversionContext) -> bytes:
    if item.file is not None:
        try:
            return Path(item.file).read_bytes()
        except OSError as exc:
            raise KubernetesError(f"{origin}: cannot read {item.file}: {exc.strerror}") from None
    if item.environment is not None:
        value = context.project.environment.get(item.environment)
        if value is None:
            context.warn(f"{origin}: variable {item.environment} is not set; the content is empty")
        return (value or "").encode()
    return (getattr(item, "content", None) or "").encode()


def _mount(
    section: str,
    reference: FileReference,
    service: Service,
    context: ConversionContext,
    volumes: PodVolumes,
) -> dict[str, Any]:
    kind, field, name_field = _KINDS[section]
    origin = f"services.{service.name}.{section}"
    item: Config | Secret = getattr(context.project, section)[reference.source]
    if item.external:
        context.warn(
            f"{section}.{reference.source}: is external; the {kind} {_object_name(item)} must "
            f"exist in the cluster with a key {config_key(reference.source)}"
        )
    if reference.uid is not None or reference.gid is not None:
        context.warn(f"{origin}: uid and gid of {reference.target} are not carried; left out")
    source: dict[str, Any] = {name_field: _object_name(item)}
    if reference.mode is not None:
        source["defaultMode"] = reference.mode
    key = (field, source[name_field], str(reference.mode))
    volume = volumes.add(key, f"{section[:-1]}-{reference.source}", {field: source})
    return {
        "name": volume,
        "mountPath": reference.target,
        "subPath": config_key(reference.source),
        "readOnly": True,
    }


def _object_name(item: Config | Secret) -> str:
    return dns_label(item.name, what="config or secret")
