"""Workloads: the kind that runs a pod group, its restart policy, and the object itself.

Restart mapping (`deploy.restart_policy` wins over `restart`, as in Compose):

    unset, always, unless-stopped,   Deployment (or StatefulSet), restartPolicy Always
    condition: any
    on-failure[:N],                  Job, restartPolicy OnFailure, backoffLimit N
    condition: on-failure
    no, condition: none              Job, restartPolicy Never, backoffLimit 0

Kind: `x-kubernetes.kind` when given; else a Job for the restart policies
above; else a StatefulSet when the Pod mounts a named volume and runs one
replica (its volumes only it uses become `volumeClaimTemplates`); else a
Deployment (with the Recreate strategy when it mounts a ReadWriteOnce claim, so a new Pod
never waits for the volume the old one holds). Replicas are the owner's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.kubernetes.context import ConversionContext
from orchestrator.kubernetes.extensions import ServiceSettings
from orchestrator.kubernetes.grouping import PodGroup
from orchestrator.kubernetes.metadata import SERVICE, as_annotations, object_metadata, pod_selector
from orchestrator.kubernetes.pods import Pod
from orchestrator.kubernetes.storage import access_mode, claim_spec
from specs.model import Service

API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Job": "batch/v1"}


@dataclass(frozen=True)
class Restart:
    """How the Pods of a workload restart."""

    policy: str
    """The Pod's restartPolicy: Always, OnFailure or Never."""
    backoff_limit: int | None = None
    """Retries of a Job (None: Kubernetes' default)."""
    runs_to_completion: bool = False
    """Compose said not to restart on success: the service runs as a Job."""


def restart_of(service: Service) -> Restart:
    """The restart policy of a service, as Kubernetes has them."""
    policy = service.deploy.restart_policy
    if policy is not None:
        name = {"none": "no", "any": "always"}.get(policy.condition, policy.condition)
        retries = policy.max_attempts
    elif service.restart is not None:
        name, retries = service.restart_policy
    else:
        return Restart("Always")
    if name == "no":
        return Restart("Never", 0, runs_to_completion=True)
    if name == "on-failure":
        return Restart("OnFailure", retries, runs_to_completion=True)
    return Restart("Always")


def workload_kind(
    group: PodGroup, settings: ServiceSettings, restart: Restart, mounts_claims: bool
) -> str:
    """Which workload runs the group."""
    if settings.kind is not None:
        return settings.kind
    if restart.runs_to_completion:
        return "Job"
    if mounts_claims and group.replicas == 1:
        return "StatefulSet"
    return "Deployment"


def fitted_restart(kind: str, restart: Restart, origin: str, context: ConversionContext) -> Restart:
    """The restart policy a `kind` accepts: Always for Deployments and StatefulSets,
    OnFailure or Never for Jobs."""
    if kind == "Job" and restart.policy == "Always":
        context.warn(f"{origin}: a Job's Pods cannot always restart; they restart on failure")
        return Restart("OnFailure", runs_to_completion=True)
    if kind != "Job" and restart.policy != "Always":
        context.warn(
            f"{origin}: the Pods of a {kind} always restart; the restart policy is not carried"
        )
        return Restart("Always")
    return restart


def workload_document(
    group: PodGroup,
    kind: str,
    pod: Pod,
    restart: Restart,
    settings: ServiceSettings,
    context: ConversionContext,
    templated: Sequence[str] = (),
    *,
    recreate: bool = False,
) -> dict[str, Any]:
    """The Deployment, StatefulSet or Job running the group's Pods; a Deployment that
    must `recreate` its Pods (they hold a claim one node at a time) never runs two."""
    project = context.project.name
    owner = group.owner
    labels = {**context.labels, SERVICE: group.name, **settings.labels}
    workload_annotations = {
        **as_annotations(owner.deploy.labels, f"services.{owner.name}.deploy.labels", context.warn),
        **settings.annotations,
    }
    pod_annotations: dict[str, str] = {}
    for service in group.members:
        pod_annotations.update(
            as_annotations(service.labels, f"services.{service.name}.labels", context.warn)
        )
    pod_annotations.update(settings.annotations)
    pod_spec = {**pod.spec, "restartPolicy": restart.policy}
    volumes = pod.volumes.listing(templated)
    if volumes:
        pod_spec["volumes"] = volumes
    template = {
        "metadata": _template_metadata(labels, pod_annotations),
        "spec": pod_spec,
    }
    spec: dict[str, Any] = {}
    if kind == "Job":
        spec["parallelism"] = group.replicas
        spec["completions"] = max(1, group.replicas)
        if restart.backoff_limit is not None:
            spec["backoffLimit"] = restart.backoff_limit
    else:
        spec["replicas"] = group.replicas
        spec["selector"] = {"matchLabels": pod_selector(project, group.name)}
    if kind == "StatefulSet":
        spec["serviceName"] = group.name
    if kind == "Deployment" and recreate:
        spec["strategy"] = {"type": "Recreate"}
    spec["template"] = template
    if templated:
        spec["volumeClaimTemplates"] = [
            _claim_template(key, pod.volumes.claims[key], context) for key in templated
        ]
    return {
        "apiVersion": API_VERSIONS[kind],
        "kind": kind,
        "metadata": object_metadata(group.name, labels, extra_annotations=workload_annotations),
        "spec": spec,
    }


def _template_metadata(labels: Mapping[str, str], values: Mapping[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": dict(labels)}
    if values:
        metadata["annotations"] = dict(values)
    return metadata


def _claim_template(key: str, name: str, context: ConversionContext) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": dict(context.labels)},
        "spec": claim_spec(context, key, access_mode(context, key, ())),
    }
