"""Golden files: the manifests and warnings of chosen projects, exactly (see
tests/support/kubernetes_cases.py to regenerate them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support import kubernetes_cases, kubernetes_checks

CASES = kubernetes_cases.case_directories()


def test_the_golden_cases_are_there() -> None:
    names = {directory.name for directory in CASES}
    assert {"web-db", "net-container", "healthchecks", "volumes", "configs", "scale"} <= names


@pytest.mark.parametrize("directory", CASES, ids=lambda directory: directory.name)
def test_case_gives_its_expected_manifests(directory: Path) -> None:
    stream, warnings = kubernetes_cases.rendered(directory)
    assert stream == (directory / kubernetes_cases.EXPECTED).read_text()
    assert warnings == (directory / kubernetes_cases.WARNINGS).read_text()


@pytest.mark.parametrize("directory", CASES, ids=lambda directory: directory.name)
def test_expected_manifests_validate(directory: Path) -> None:
    documents = list(yaml.safe_load_all((directory / kubernetes_cases.EXPECTED).read_text()))
    errors = [
        error
        for document in documents
        for error in kubernetes_checks.schema_errors(document, kubernetes_checks.CURRENT_VERSION)
    ]
    errors += kubernetes_checks.reference_errors(documents, {"company-archive"})
    assert not errors, "\n".join(errors)


def _documents(name: str) -> dict[tuple[str, str], dict]:
    conversion = kubernetes_cases.conversion_of(kubernetes_cases.CASES / name)
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in conversion.documents}


def test_a_net_container_group_is_one_pod_with_two_containers() -> None:
    documents = _documents("net-container")
    workloads = [key for key in documents if key[0] in kubernetes_checks.WORKLOADS]
    assert workloads == [("Deployment", "vpn")]
    pod = documents[("Deployment", "vpn")]["spec"]["template"]["spec"]
    assert [container["name"] for container in pod["containers"]] == ["vpn", "web"]
    # One network namespace: no host network, and web publishes through vpn's Service.
    assert "hostNetwork" not in pod
    assert [port["port"] for port in documents[("Service", "vpn")]["spec"]["ports"]] == [80, 8080]
    assert ("Service", "web") not in documents


def test_web_db_waits_for_the_database_and_runs_the_migration_first() -> None:
    conversion = kubernetes_cases.conversion_of(kubernetes_cases.CASES / "web-db")
    documents = {(doc["kind"], doc["metadata"]["name"]): doc for doc in conversion.documents}
    pod = documents[("Deployment", "web")]["spec"]["template"]["spec"]
    assert [init["name"] for init in pod["initContainers"]] == ["wait-for-db", "migrate"]
    assert ("Job", "migrate") not in documents and ("Deployment", "migrate") not in documents
    assert documents[("StatefulSet", "db")]["spec"]["volumeClaimTemplates"][0]["spec"][
        "resources"
    ] == {"requests": {"storage": "5Gi"}}
    assert conversion.images_to_push == ("registry.example.com/shop/web:1.4",)
