"""Sending a conversion to a cluster, and taking a project off it.

    cluster = connect(kubeconfig=None, context=None, namespace=None)
    apply(cluster, conversion)            # server-side apply, in dependency order
    remove(cluster, "shop", volumes=False)  # everything labelled with the project

Objects are applied with server-side apply (`PATCH` with
`application/apply-patch+yaml`, field manager `pycompose`, conflicts forced),
so re-applying an unchanged project changes nothing and fields that other
managers own are taken back. A Job's Pod template cannot change: a changed
Job is deleted and made again. `remove` lists each kind with the project's
label selector and deletes what it finds; claims (volumes) only when asked,
as `down -v` does. The kubeconfig is `--kubeconfig`, else `$KUBECONFIG`, else
`~/.kube/config`; without one, nothing is attempted.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.kubernetes.context import Conversion
from orchestrator.kubernetes.errors import KubernetesError
from orchestrator.kubernetes.metadata import project_selector

FIELD_MANAGER = "pycompose"
APPLY_PATCH = "application/apply-patch+yaml"
_RECREATE_ATTEMPTS = 10


@dataclass(frozen=True)
class Kind:
    """A kind of object pycompose makes, and the client API that handles it."""

    name: str
    api: str
    resource: str
    """The suffix of the client's methods: `patch_namespaced_<resource>`."""


KINDS = (
    Kind("ConfigMap", "CoreV1Api", "config_map"),
    Kind("Secret", "CoreV1Api", "secret"),
    Kind("PersistentVolumeClaim", "CoreV1Api", "persistent_volume_claim"),
    Kind("Service", "CoreV1Api", "service"),
    Kind("StatefulSet", "AppsV1Api", "stateful_set"),
    Kind("Deployment", "AppsV1Api", "deployment"),
    Kind("Job", "BatchV1Api", "job"),
)
_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass
class Cluster:
    """A connection to a cluster, and the namespace pycompose works in."""

    api: Any
    """The `kubernetes.client.ApiClient`."""
    namespace: str
    server: str

    def call(self, kind: Kind, verb: str, *args: Any, **kwargs: Any) -> Any:
        """Call `<verb>_namespaced_<resource>` of the kind's client API; the answer is the
        raw response (its JSON is read where needed, so no server's answer can fail to fit
        the client's models); an error status raises ApiException."""
        from kubernetes import client

        api = getattr(client, kind.api)(self.api)
        method = getattr(api, f"{verb}_namespaced_{kind.resource}")
        return method(*args, _preload_content=False, **kwargs)


@dataclass
class ApplyResult:
    """What `apply` did: `Kind/name` of each object applied, and of each orphan removed."""

    applied: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)


def kubeconfig_path(explicit: str | None = None) -> str:
    """The kubeconfig to use (several joined by ':' when $KUBECONFIG lists several);
    KubernetesError when there is none."""
    if explicit:
        if not Path(explicit).expanduser().is_file():
            raise KubernetesError(f"kubeconfig {explicit}: no such file")
        return str(Path(explicit).expanduser())
    listed = os.environ.get("KUBECONFIG", "")
    candidates = [path for path in listed.split(os.pathsep) if path] or ["~/.kube/config"]
    present = [
        str(Path(path).expanduser()) for path in candidates if Path(path).expanduser().is_file()
    ]
    if not present:
        where = ", ".join(candidates)
        raise KubernetesError(
            f"no kubeconfig found (looked for {where}): point KUBECONFIG or --kubeconfig at the "
            "cluster's configuration"
        )
    return os.pathsep.join(present)


def connect(
    kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None
) -> Cluster:
    """A client for the cluster of the kubeconfig's context (the current one unless given),
    working in `namespace` (else the context's, else `default`)."""
    try:
        from kubernetes import config
    except ImportError:
        raise KubernetesError(
            "the Kubernetes client is not installed: pip install 'pycompose[kubernetes]'"
        ) from None
    path = kubeconfig_path(kubeconfig)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
        chosen = current
        if context is not None:
            chosen = next((item for item in contexts or [] if item.get("name") == context), None)
            if chosen is None:
                raise KubernetesError(f"kubeconfig {path}: no context named {context}")
        api = config.new_client_from_config(config_file=path, context=context)
    except config.ConfigException as exc:
        raise KubernetesError(f"kubeconfig {path}: {exc}") from None
    namespace = namespace or (chosen or {}).get("context", {}).get("namespace") or "default"
    return Cluster(api=api, namespace=namespace, server=api.configuration.host)


def apply(
    cluster: Cluster,
    conversion: Conversion,
    *,
    prune: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ApplyResult:
    """Apply every object of the conversion, in order; with `prune`, delete the objects of
    the project no longer in it (claims excepted)."""
    result = ApplyResult()
    for document in conversion.documents:
        kind = _kind_of(document)
        _apply_one(cluster, kind, document)
        name = f"{kind.name}/{document['metadata']['name']}"
        result.applied.append(name)
        if progress:
            progress(f"{name} applied")
    if prune:
        keep = set(result.applied)
        for kind in reversed(KINDS):
            if kind.name == "PersistentVolumeClaim":
                continue
            for name in _names(cluster, kind, conversion.project):
                if f"{kind.name}/{name}" not in keep:
                    _delete(cluster, kind, name)
                    result.pruned.append(f"{kind.name}/{name}")
                    if progress:
                        progress(f"{kind.name}/{name} removed (no longer in the project)")
    return result


def remove(
    cluster: Cluster,
    project: str,
    *,
    volumes: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Delete every object labelled with `project` (its claims too with `volumes`), workloads
    first; `Kind/name` of each object deleted."""
    removed = []
    for kind in _removal_order(volumes):
        for name in _names(cluster, kind, project):
            _delete(cluster, kind, name)
            removed.append(f"{kind.name}/{name}")
            if progress:
                progress(f"{kind.name}/{name} removed")
    return removed


def _removal_order(volumes: bool) -> Sequence[Kind]:
    return [kind for kind in reversed(KINDS) if volumes or kind.name != "PersistentVolumeClaim"]


def _kind_of(document: dict[str, Any]) -> Kind:
    kind = _BY_NAME.get(document.get("kind", ""))
    if kind is None:
        raise KubernetesError(f"pycompose does not apply objects of kind {document.get('kind')}")
    return kind


def _apply_one(cluster: Cluster, kind: Kind, document: dict[str, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    name = document["metadata"]["name"]
    try:
        _patch(cluster, kind, name, document)
    except ApiException as exc:
        if kind.name != "Job" or exc.status != 422:
            raise _refused(cluster, exc, f"applying {kind.name}/{name}") from None
        # A Job's template is immutable: make it again.
        _delete(cluster, kind, name)
        _recreate(cluster, kind, name, document)


def _recreate(cluster: Cluster, kind: Kind, name: str, document: dict[str, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    for _ in range(_RECREATE_ATTEMPTS):
        try:
            _patch(cluster, kind, name, document)
            return
        except ApiException as exc:
            if exc.status != 409:
                raise _refused(cluster, exc, f"applying {kind.name}/{name}") from None
            time.sleep(0.5)  # the old object is still being deleted
    raise KubernetesError(f"{kind.name}/{name} is still being deleted; run the command again")


def _patch(cluster: Cluster, kind: Kind, name: str, document: dict[str, Any]) -> None:
    _guard(
        cluster,
        lambda: cluster.call(
            kind,
            "patch",
            name,
            cluster.namespace,
            document,
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type=APPLY_PATCH,
        ),
    )


def _names(cluster: Cluster, kind: Kind, project: str) -> list[str]:
    from kubernetes.client.exceptions import ApiException

    try:
        listed = _guard(
            cluster,
            lambda: cluster.call(
                kind, "list", cluster.namespace, label_selector=project_selector(project)
            ),
        )
    except ApiException as exc:
        raise _refused(cluster, exc, f"listing {kind.name} objects") from None
    try:
        items = json.loads(listed.data).get("items") or []
    except (TypeError, ValueError, AttributeError):
        raise KubernetesError(f"the cluster at {cluster.server} sent an unreadable list") from None
    return sorted(item["metadata"]["name"] for item in items)


def _delete(cluster: Cluster, kind: Kind, name: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        _guard(
            cluster,
            lambda: cluster.call(
                kind, "delete", name, cluster.namespace, propagation_policy="Background"
            ),
        )
    except ApiException as exc:
        if exc.status != 404:
            raise _refused(cluster, exc, f"deleting {kind.name}/{name}") from None


def _guard(cluster: Cluster, request: Callable[[], Any]) -> Any:
    """Run a request; a cluster that cannot be reached is a KubernetesError."""
    import urllib3

    try:
        return request()
    except urllib3.exceptions.HTTPError as exc:
        raise KubernetesError(f"cannot reach the cluster at {cluster.server}: {exc}") from None


def _refused(cluster: Cluster, exc: Any, doing: str) -> KubernetesError:
    message = exc.reason or "error"
    try:
        body = json.loads(exc.body or "{}")
        message = body.get("message") or message
    except (TypeError, ValueError):
        pass
    return KubernetesError(
        f"the cluster at {cluster.server} refused {doing} in namespace {cluster.namespace}: "
        f"{exc.status} {message}"
    )
