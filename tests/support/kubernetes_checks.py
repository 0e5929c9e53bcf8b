"""Checks of converted manifests: the Kubernetes OpenAPI schemas, and what they cannot see.

The schemas come with the `kubernetes-validate` package (offline, strict: an
unknown field is an error). What a schema does not check - name formats and
the references between objects (claims, ConfigMaps, Secrets, selectors,
Services waited for) - `reference_errors` does, as the API server and the
controllers would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import kubernetes_validate

OLDEST_VERSION = "1.31"
"""The oldest Kubernetes the manifests are checked against."""
CURRENT_VERSION = "1.37"
"""A current Kubernetes (the newest `kubernetes-validate` ships schemas for)."""
VERSIONS = (OLDEST_VERSION, CURRENT_VERSION)

_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
WORKLOADS = ("Deployment", "StatefulSet", "Job")


def schema_errors(document: dict[str, Any], version: str) -> list[str]:
    """Where `document` breaks the OpenAPI schema of Kubernetes `version` (strict)."""
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        return [f"{document['kind']}/{document['metadata']['name']}: {where}: {error.message}"]
    return []


def reference_errors(documents: list[dict[str, Any]], external: Iterable[str] = ()) -> list[str]:
    """Bad names and dangling references; `external` names objects expected in the cluster."""
    errors: list[str] = []
    present = {(document["kind"], document["metadata"]["name"]) for document in documents}
    known = set(external)
    services = {name for kind, name in present if kind == "Service"}
    for document in documents:
        where = f"{document['kind']}/{document['metadata']['name']}"
        errors.extend(f"{where}: {error}" for error in _name_errors(document))
        errors.extend(f"{where}: {error}" for error in _label_errors(document["metadata"]))
        if document["kind"] == "Service":
            errors.extend(f"{where}: {error}" for error in _service_errors(document, documents))
        if document["kind"] in WORKLOADS:
            errors.extend(
                f"{where}: {error}"
                for error in _workload_errors(document, present, known, services)
            )
    return errors


def _name_errors(document: dict[str, Any]) -> list[str]:
    name = document["metadata"]["name"]
    if document["kind"] in ("Service", *WORKLOADS):
        ok = len(name) <= 63 and bool(_DNS_1035.match(name))
    else:
        ok = len(name) <= 253 and bool(_DNS_1123_SUBDOMAIN.match(name))
    return [] if ok else [f'"{name}" is not a valid name for a {document["kind"]}']


def _label_errors(metadata: dict[str, Any]) -> list[str]:
    errors = []
    for key, value in (metadata.get("labels") or {}).items():
        if not _qualified(key) or (value and (len(value) > 63 or not _LABEL_NAME.match(value))):
            errors.append(f'label "{key}: {value}" is invalid')
    for key in metadata.get("annotations") or {}:
        if not _qualified(key):
            errors.append(f'annotation key "{key}" is invalid')
    return errors


def _qualified(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and not _DNS_1123_SUBDOMAIN.match(prefix):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.match(name))


def _service_errors(service: dict[str, Any], documents: list[dict[str, Any]]) -> list[str]:
    errors = []
    selector = service["spec"].get("selector") or {}
    selected = [
        document
        for document in documents
        if document["kind"] in WORKLOADS
        and selector.items() <= document["spec"]["template"]["metadata"]["labels"].items()
    ]
    if not selected:
        errors.append(f"selects no Pods ({selector})")
    ports = service["spec"].get("ports", [])
    if not ports and service["spec"].get("clusterIP") != "None":
        errors.append("has no ports and is not headless")
    errors.extend(_port_errors(ports, "port"))
    return errors


def _port_errors(ports: list[dict[str, Any]], number_key: str) -> list[str]:
    errors = []
    names = [port.get("name") for port in ports]
    if len(ports) > 1 and (None in names or len(set(names)) != len(names)):
        errors.append(f"port names must be given and unique: {names}")
    for name in names:
        if name is not None and (len(name) > 15 or not _PORT_NAME.match(name)):
            errors.append(f'port name "{name}" is invalid')
    numbers = [(port[number_key], port.get("protocol", "TCP")) for port in ports]
    if len(set(numbers)) != len(numbers):
        errors.append(f"ports repeat: {numbers}")
    return errors


def _workload_errors(
    workload: dict[str, Any], present: set[tuple[str, str]], known: set[str], services: set[str]
) -> list[str]:
    errors = []
    spec = workload["spec"]
    template = spec["template"]
    labels = template["metadata"]["labels"]
    selector = spec.get("selector", {}).get("matchLabels", {})
    if workload["kind"] != "Job" and not selector.items() <= labels.items():
        errors.append("its selector does not select its own Pods")
    if workload["kind"] == "StatefulSet" and spec["serviceName"] not in services:
        errors.append(f"its Service {spec['serviceName']} is missing")
    pod = template["spec"]
    containers = [*pod.get("initContainers", []), *pod["containers"]]
    names = [container["name"] for container in containers]
    if len(set(names)) != len(names):
        errors.append(f"container names repeat: {names}")
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    templates = {claim["metadata"]["name"] for claim in spec.get("volumeClaimTemplates", [])}
    if len(volumes) != len(pod.get("volumes", [])) or set(volumes) & templates:
        errors.append("volume names repeat")
    for name in [*volumes, *templates]:
        if len(name) > 63 or not _DNS_1123_LABEL.match(name):
            errors.append(f'volume name "{name}" is invalid')
    for container in containers:
        if len(container["name"]) > 63 or not _DNS_1123_LABEL.match(container["name"]):
            errors.append(f'container name "{container["name"]}" is invalid')
        errors.extend(_port_errors(container.get("ports", []), "containerPort"))
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes and mount["name"] not in templates:
                errors.append(f"{container['name']} mounts the missing volume {mount['name']}")
        for source in container.get("envFrom", []):
            name = source["configMapRef"]["name"]
            if ("ConfigMap", name) not in present:
                errors.append(f"{container['name']} takes variables from the missing {name}")
        errors.extend(_waited_errors(container, services))
    for volume in volumes.values():
        errors.extend(_volume_errors(volume, present, known))
    return errors


def _waited_errors(container: dict[str, Any], services: set[str]) -> list[str]:
    if not container["name"].startswith("wait-for-"):
        return []
    target = container["name"][len("wait-for-") :]
    script = container["command"][-1]
    if target not in services or target not in script:
        return [f"{container['name']} waits for a Service that is not there"]
    return []


def _volume_errors(
    volume: dict[str, Any], present: set[tuple[str, str]], known: set[str]
) -> list[str]:
    references = {
        "persistentVolumeClaim": ("PersistentVolumeClaim", "claimName"),
        "configMap": ("ConfigMap", "name"),
        "secret": ("Secret", "secretName"),
    }
    for field, (kind, key) in references.items():
        if field in volume:
            name = volume[field][key]
            if (kind, name) not in present and name not in known:
                return [f"volume {volume['name']} refers to the missing {kind} {name}"]
    return []
