"""Applying to and removing from a cluster, checked on the requests the official client
sends (a fake API server stands in for the connection pool; nothing of pycompose is
replaced)."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from orchestrator.kubernetes import Conversion, KubernetesError
from orchestrator.kubernetes.apply import apply, connect, remove
from orchestrator.kubernetes.metadata import project_selector
from tests.support import kubernetes_cases
from tests.support.kube_api import SERVER, TOKEN, FakeApiServer, write_kubeconfig

SELECTOR = "app.kubernetes.io/managed-by=pycompose,pycompose.io/project=shop"
PLURALS = {
    "ConfigMap": "/api/v1/namespaces/shop/configmaps",
    "Secret": "/api/v1/namespaces/shop/secrets",
    "PersistentVolumeClaim": "/api/v1/namespaces/shop/persistentvolumeclaims",
    "Service": "/api/v1/namespaces/shop/services",
    "StatefulSet": "/apis/apps/v1/namespaces/shop/statefulsets",
    "Deployment": "/apis/apps/v1/namespaces/shop/deployments",
    "Job": "/apis/batch/v1/namespaces/shop/jobs",
}


def _case(name: str) -> Conversion:
    return kubernetes_cases.conversion_of(kubernetes_cases.CASES / name)


def test_apply_sends_each_object_as_a_server_side_apply(api_server: FakeApiServer) -> None:
    conversion = _case("web-db")
    result = apply(connect(), conversion)
    requests = api_server.applied()
    assert [(r.method, r.path) for r in requests] == [
        ("PATCH", f"{PLURALS[doc['kind']]}/{doc['metadata']['name']}")
        for doc in conversion.documents
    ]
    for request, document in zip(requests, conversion.documents, strict=True):
        assert request.query == {"fieldManager": "pycompose", "force": "true"}
        assert request.headers["content-type"] == "application/apply-patch+yaml"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.body == document
    assert result.applied == [
        "ConfigMap/web-env",
        "Service/db",
        "Service/web",
        "StatefulSet/db",
        "Deployment/web",
    ]
    assert api_server.names("deployments") == ["web"]


def test_applying_twice_changes_nothing(api_server: FakeApiServer) -> None:
    conversion = _case("web-db")
    cluster = connect()
    apply(cluster, conversion)
    stored = copy.deepcopy(api_server.objects)
    first = len(api_server.requests)
    apply(cluster, conversion)
    again = api_server.requests[first:]
    assert [(r.method, r.path, r.body) for r in again] == [
        (r.method, r.path, r.body) for r in api_server.requests[:first]
    ]
    assert {
        key: value["spec"] if "spec" in value else value.get("data")
        for key, value in stored.items()
    } == {
        key: value["spec"] if "spec" in value else value.get("data")
        for key, value in api_server.objects.items()
    }


def test_a_changed_job_is_made_again(api_server: FakeApiServer) -> None:
    cluster = connect()
    conversion = _case("scale")
    apply(cluster, conversion)
    changed = [copy.deepcopy(document) for document in conversion.documents]
    job = next(document for document in changed if document["kind"] == "Job")
    job["spec"]["template"]["spec"]["containers"][0]["args"] = ["--fast"]
    start = len(api_server.requests)
    apply(cluster, Conversion(project="fleet", documents=tuple(changed)))
    job_path = f"{PLURALS['Job']}/worker"
    assert [(r.method, r.path) for r in api_server.requests[start:] if r.path == job_path] == [
        ("PATCH", job_path),
        ("DELETE", job_path),
        ("PATCH", job_path),
    ]
    stored = api_server.objects[("shop", "jobs", "worker")]
    assert stored["spec"]["template"]["spec"]["containers"][0]["args"] == ["--fast"]


def test_remove_deletes_by_the_project_selector_and_keeps_volumes(
    api_server: FakeApiServer,
) -> None:
    cluster = connect()
    apply(cluster, _case("web-db"))
    api_server.objects[("shop", "persistentvolumeclaims", "pgdata-db-0")] = _claim(
        "pgdata-db-0", "shop"
    )
    api_server.objects[("shop", "deployments", "other")] = _other_project_deployment()
    start = len(api_server.requests)
    removed = remove(cluster, "shop")
    requests = api_server.requests[start:]
    listed = [r for r in requests if r.method == "GET"]
    assert [r.path for r in listed] == [
        PLURALS[kind]
        for kind in ("Job", "Deployment", "StatefulSet", "Service", "Secret", "ConfigMap")
    ]
    assert all(r.query == {"labelSelector": SELECTOR} for r in listed)
    assert project_selector("shop") == SELECTOR
    deleted = [r for r in requests if r.method == "DELETE"]
    assert all(r.query == {"propagationPolicy": "Background"} for r in deleted)
    assert removed == [
        "Deployment/web",
        "StatefulSet/db",
        "Service/db",
        "Service/web",
        "ConfigMap/web-env",
    ]
    assert sorted(api_server.objects) == [
        ("shop", "deployments", "other"),
        ("shop", "persistentvolumeclaims", "pgdata-db-0"),
    ]


def test_remove_with_volumes_deletes_the_claims(api_server: FakeApiServer) -> None:
    cluster = connect()
    apply(cluster, _case("volumes"))
    api_server.objects[("shop", "persistentvolumeclaims", "dbdata-db-0")] = _claim(
        "dbdata-db-0", "storage"
    )
    removed = remove(cluster, "storage", volumes=True)
    assert "PersistentVolumeClaim/storage-shared" in removed
    assert "PersistentVolumeClaim/dbdata-db-0" in removed
    assert api_server.objects == {}


def test_prune_removes_what_left_the_project_but_not_volumes(api_server: FakeApiServer) -> None:
    cluster = connect()
    conversion = _case("scale")
    apply(cluster, conversion)
    kept = tuple(
        document
        for document in conversion.documents
        if document["metadata"]["name"] not in ("worker", "fleet-assets", "static")
    )
    result = apply(cluster, Conversion(project="fleet", documents=kept), prune=True)
    assert result.pruned == ["Job/worker", "Deployment/static", "Service/static", "Service/worker"]
    assert "fleet-assets" in api_server.names("persistentvolumeclaims")


def test_a_refusal_is_one_clear_error(api_server: FakeApiServer) -> None:
    api_server.refuse[("PATCH", f"{PLURALS['ConfigMap']}/web-env")] = (
        403,
        'configmaps "web-env" is forbidden: User "tester" cannot patch resource',
    )
    with pytest.raises(KubernetesError) as caught:
        apply(connect(), _case("web-db"))
    assert str(caught.value) == (
        f"the cluster at {SERVER} refused applying ConfigMap/web-env in namespace shop: 403 "
        'configmaps "web-env" is forbidden: User "tester" cannot patch resource'
    )


def test_an_unreachable_cluster_is_one_clear_error(api_server: FakeApiServer) -> None:
    api_server.unreachable = True
    with pytest.raises(KubernetesError, match=f"^cannot reach the cluster at {SERVER}: "):
        remove(connect(), "shop")


def test_without_a_kubeconfig_nothing_is_attempted(
    api_server: FakeApiServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(KubernetesError) as caught:
        connect()
    assert str(caught.value) == (
        "no kubeconfig found (looked for ~/.kube/config): point KUBECONFIG or --kubeconfig at "
        "the cluster's configuration"
    )
    with pytest.raises(KubernetesError, match="kubeconfig /nowhere/config: no such file"):
        connect("/nowhere/config")
    assert api_server.requests == []


def test_the_namespace_comes_from_the_option_then_the_context(
    api_server: FakeApiServer, tmp_path: Path
) -> None:
    assert connect().namespace == "shop"
    assert connect(context="other").namespace == "staging"
    assert connect(context="other", namespace="prod").namespace == "prod"
    bare = write_kubeconfig(tmp_path / "bare", namespace=None)
    assert connect(str(bare)).namespace == "default"
    with pytest.raises(KubernetesError, match="no context named missing"):
        connect(context="missing")


def _claim(name: str, project: str) -> dict[str, object]:
    """A claim as a StatefulSet's controller makes it from a template (labels copied)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/managed-by": "pycompose",
                "pycompose.io/project": project,
            },
        },
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def _other_project_deployment() -> dict[str, object]:
    labels = {"app.kubernetes.io/managed-by": "pycompose", "pycompose.io/project": "other"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "other", "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "x", "image": "x"}]},
            },
        },
    }


def test_without_the_client_installed_the_error_says_how_to_get_it(
    api_server: FakeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(KubernetesError) as caught:
        connect()
    assert str(caught.value) == (
        "the Kubernetes client is not installed: pip install 'pycompose[kubernetes]'"
    )
