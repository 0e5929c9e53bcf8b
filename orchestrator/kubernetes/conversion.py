"""Converting a project: pod groups, then their Services, Pods and workloads, then storage.

The steps, in order: group the services that share namespaces; set aside the
services that only run as init containers; give every group a Service (the
waiting init containers need to know its ports); make each group's Pod;
choose its workload kind (a StatefulSet depends on the claims the Pod
mounts); then claims, ConfigMaps and Secrets. Documents come out in the order
they can be applied in: ConfigMaps, Secrets, claims, Services, workloads.
"""

from __future__ import annotations

from typing import Any

from orchestrator.kubernetes.context import Conversion, ConversionContext, ConversionOptions
from orchestrator.kubernetes.dependencies import init_only_services, init_steps
from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.extensions import KEY, ServiceSettings, service_settings
from orchestrator.kubernetes.files import file_documents
from orchestrator.kubernetes.grouping import PodGroup, group_services
from orchestrator.kubernetes.images import has_registry, images_to_push
from orchestrator.kubernetes.metadata import SERVICE
from orchestrator.kubernetes.pods import Pod, build_pod
from orchestrator.kubernetes.services import (
    alias_spec,
    aliases,
    service_document,
    service_spec,
)
from orchestrator.kubernetes.storage import access_mode, claim_documents
from orchestrator.kubernetes.workloads import (
    fitted_restart,
    restart_of,
    workload_document,
    workload_kind,
)
from specs.model import Project

APPLY_ORDER = (
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Service",
    "StatefulSet",
    "Deployment",
    "Job",
)


def convert(project: Project, options: ConversionOptions | None = None) -> Conversion:
    """Kubernetes manifests for `project` (KubernetesError when it cannot be converted)."""
    context = ConversionContext(project, options or ConversionOptions())
    groups = group_services(project, context.warn)
    settings = {group.name: _settings(group, context) for group in groups}
    init_only = init_only_services(project, groups, context)
    running = [group for group in groups if group.owner.name not in init_only]
    group_of = {service.name: group for group in groups for service in group.members}

    documents, service_specs = _services(running, settings, context)
    pods = {
        group.name: build_pod(group, context, init_steps(group, project, group_of), service_specs)
        for group in running
    }
    users: dict[str, list[tuple[str, int]]] = {}
    for group in running:
        for key in pods[group.name].volumes.claims:
            users.setdefault(key, []).append((group.name, group.replicas))
    templated: set[str] = set()
    for group in running:
        workload, own = _workload(group, pods[group.name], settings[group.name], users, context)
        documents.append(workload)
        templated.update(own)
    documents.extend(claim_documents(context, users, templated))
    documents.extend(file_documents(context))
    documents.extend(context.shared.values())
    _check_unique(documents)

    pushed = images_to_push(project)
    for image in pushed:
        if not has_registry(image):
            context.warn(
                f"image {image} is built here and names no registry, so no cluster can pull it: "
                "give it one in `image:` (registry.example.com/...) and push it"
            )
    return Conversion(
        project=project.name,
        documents=tuple(sorted(documents, key=lambda item: APPLY_ORDER.index(item["kind"]))),
        warnings=tuple(context.warnings),
        images_to_push=tuple(pushed),
    )


def _services(
    running: list[PodGroup], settings: dict[str, ServiceSettings], context: ConversionContext
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The Services of the groups (and their aliases), and each group's Service spec."""
    project = context.project
    documents: list[dict[str, Any]] = []
    specs: dict[str, dict[str, Any]] = {}
    taken = {group.name for group in running}
    for group in running:
        group_settings = settings[group.name]
        spec = service_spec(group, project.name, group_settings.service_type, context.warn)
        specs[group.name] = spec
        labels = {**context.labels, SERVICE: group.name, **group_settings.labels}
        documents.append(service_document(group.name, spec, labels, group_settings.annotations))
        for alias in aliases(project, group, context.warn):
            if alias in taken:
                context.warn(f"services.{group.owner.name}: alias {alias} is taken; left out")
                continue
            taken.add(alias)
            documents.append(
                service_document(alias, alias_spec(spec), labels, group_settings.annotations)
            )
    return documents, specs


def _workload(
    group: PodGroup,
    pod: Pod,
    settings: ServiceSettings,
    users: dict[str, list[tuple[str, int]]],
    context: ConversionContext,
) -> tuple[dict[str, Any], list[str]]:
    """The workload of a group, and the named volumes it makes from claim templates."""
    volumes = context.project.volumes
    claims = [key for key in pod.volumes.claims if not volumes[key].external]
    restart = restart_of(group.owner)
    kind = workload_kind(group, settings, restart, bool(pod.volumes.claims))
    restart = fitted_restart(kind, restart, f"services.{group.owner.name}", context)
    own = [key for key in claims if len(users[key]) == 1] if kind == "StatefulSet" else []
    exclusive = any(
        access_mode(context, key, users[key]) in ("ReadWriteOnce", "ReadWriteOncePod")
        for key in claims
    )
    document = workload_document(
        group, kind, pod, restart, settings, context, own, recreate=exclusive
    )
    return document, own


def _settings(group: PodGroup, context: ConversionContext) -> ServiceSettings:
    parsed = [
        service_settings(service.extensions, f"services.{service.name}")
        for service in group.members
    ]
    for service in group.members[1:]:
        if KEY in service.extensions:
            context.warn(
                f"services.{service.name}.{KEY}: runs in the Pod of {group.owner.name}, "
                "whose settings count; left out"
            )
    return parsed[0]


def _check_unique(documents: list[dict[str, Any]]) -> None:
    seen: set[tuple[str, str]] = set()
    for document in documents:
        key = (document["kind"], document["metadata"]["name"])
        if key in seen:
            raise KubernetesError(f"two {key[0]} objects would be named {key[1]}; rename one")
        seen.add(key)
