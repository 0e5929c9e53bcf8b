"""Every valid project of the spec corpus converts, and every object it gives is one a
cluster accepts: the OpenAPI schema of an old and a current Kubernetes, valid names,
and references that resolve."""

from __future__ import annotations

import pytest

from orchestrator.kubernetes import convert
from orchestrator.kubernetes.naming import dns_label
from specs.model import Project
from tests.support import kubernetes_checks, spec_cases

VALID = spec_cases.cases(spec_cases.VALID)


def _external_names(project: Project) -> set[str]:
    resources = [*project.volumes.values(), *project.configs.values(), *project.secrets.values()]
    return {dns_label(resource.name) for resource in resources if resource.external}


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_valid_case_converts_to_objects_a_cluster_accepts(case: spec_cases.Case) -> None:
    project = spec_cases.load(case)
    conversion = convert(project)
    assert conversion.documents
    errors = [
        error
        for document in conversion.documents
        for version in kubernetes_checks.VERSIONS
        for error in kubernetes_checks.schema_errors(document, version)
    ]
    errors += kubernetes_checks.reference_errors(
        list(conversion.documents), _external_names(project)
    )
    assert not errors, "\n".join(errors[:10])


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_every_service_has_a_container_or_an_init_container(case: spec_cases.Case) -> None:
    project = spec_cases.load(case)
    conversion = convert(project)
    containers = {
        container["name"]
        for document in conversion.documents
        if document["kind"] in kubernetes_checks.WORKLOADS
        for key in ("containers", "initContainers")
        for container in document["spec"]["template"]["spec"].get(key, [])
    }
    assert {dns_label(name) for name in project.services} <= containers


def test_the_schemas_are_strict_and_current() -> None:
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "imagePolicy": "x"}]},
            },
        },
    }
    for version in kubernetes_checks.VERSIONS:
        assert kubernetes_checks.schema_errors(broken, version), version
    import kubernetes_validate.utils

    latest = kubernetes_validate.utils.latest_version()
    assert latest.startswith(kubernetes_checks.CURRENT_VERSION)
