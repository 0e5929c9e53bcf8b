"""`pycompose convert --to kubernetes` and `pycompose kube up/down`, as a user runs them,
and `deploy`/`undeploy`, which `up`/`down --context kubernetes` hand over to."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
import yaml

from orchestrator.cli.app import main
from orchestrator.cli.kubernetes import ClusterOptions, deploy, undeploy
from orchestrator.cli.project import ProjectOptions
from tests.support import kubernetes_cases
from tests.support.commands import run_in as run
from tests.support.kube_api import FakeApiServer

WEB_DB = kubernetes_cases.CASES / "web-db"


@pytest.fixture
def web_db(tmp_path: Path) -> Path:
    """A copy of the web-db golden case."""
    return Path(shutil.copytree(WEB_DB, tmp_path / "web-db"))


def test_convert_prints_the_manifests_and_says_what_to_push(web_db: Path) -> None:
    result = run(web_db, "convert", "--to", "kubernetes")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (WEB_DB / kubernetes_cases.EXPECTED).read_text()
    assert result.stderr == (
        "pycompose: the project builds registry.example.com/shop/web:1.4: push before the "
        "cluster can run them (pycompose push)\n"
    )


def test_convert_writes_a_directory_or_a_file(web_db: Path) -> None:
    expected = list(yaml.safe_load_all((WEB_DB / kubernetes_cases.EXPECTED).read_text()))
    result = run(web_db, "convert", "-o", "k8s")
    assert result.returncode == 0, result.stderr
    files = sorted(path.name for path in (web_db / "k8s").iterdir())
    assert files == [
        "db-service.yaml",
        "db-statefulset.yaml",
        "web-deployment.yaml",
        "web-env-configmap.yaml",
        "web-service.yaml",
    ]
    assert yaml.safe_load((web_db / "k8s" / "web-deployment.yaml").read_text()) == next(
        document for document in expected if document["kind"] == "Deployment"
    )
    result = run(web_db, "-f", "compose.yaml", "convert", "--output", "all.yaml")
    assert result.returncode == 0, result.stderr
    assert list(yaml.safe_load_all((web_db / "all.yaml").read_text())) == expected


def test_manifests_holding_secrets_are_private(tmp_path: Path) -> None:
    case = Path(shutil.copytree(kubernetes_cases.CASES / "configs", tmp_path / "configs"))
    result = run(case, "convert", "-o", "out", env={"API_KEY": "k"})
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((case / "out" / "settings-api-key-secret.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE((case / "out" / "web-deployment.yaml").stat().st_mode) == 0o644


def test_convert_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web: {image: nginx, x-kubernetes: {kind: Pod}}\n"
    )
    result = run(tmp_path, "convert")
    assert result.returncode == 1
    assert result.stderr == (
        'pycompose: services.web.x-kubernetes.kind: "Pod" is not one of Deployment, StatefulSet, Job\n'
    )
    assert run(tmp_path, "convert", "--to", "helm").returncode == 2


def test_kube_up_without_a_kubeconfig_is_a_clear_error(web_db: Path) -> None:
    result = run(web_db, "kube", "up")
    assert result.returncode == 1
    assert result.stderr == (
        "pycompose: no kubeconfig found (looked for ~/.kube/config): point KUBECONFIG or "
        "--kubeconfig at the cluster's configuration\n"
    )


def test_deploy_applies_what_convert_prints(
    api_server: FakeApiServer, web_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = list(yaml.safe_load_all(run(web_db, "convert").stdout))
    options = ProjectOptions(files=(str(web_db / "compose.yaml"),))
    deploy(options, ClusterOptions())
    assert [request.body for request in api_server.applied()] == printed
    output = capsys.readouterr()
    assert output.out.splitlines() == [
        "ConfigMap/web-env applied",
        "Service/db applied",
        "Service/web applied",
        "StatefulSet/db applied",
        "Deployment/web applied",
    ]
    undeploy(options, ClusterOptions(namespace="shop"))
    assert capsys.readouterr().out.splitlines() == [
        "Deployment/web removed",
        "StatefulSet/db removed",
        "Service/db removed",
        "Service/web removed",
        "ConfigMap/web-env removed",
    ]
    assert api_server.objects == {}
    undeploy(options, ClusterOptions())
    assert capsys.readouterr().out == "nothing of project shop in namespace shop\n"


def test_the_kube_group_reaches_the_cluster(
    api_server: FakeApiServer, web_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = str(web_db / "compose.yaml")
    with pytest.raises(SystemExit) as done:
        main(["kube", "up", "-f", compose, "--kube-context", "other", "-n", "prod"])
    assert done.value.code == 0
    assert all("/namespaces/prod/" in request.path for request in api_server.requests)
    with pytest.raises(SystemExit) as done:
        main(["kube", "down", "-f", compose, "-n", "prod", "--volumes"])
    assert done.value.code == 0
    assert "Deployment/web removed" in capsys.readouterr().out
    assert api_server.objects == {}
