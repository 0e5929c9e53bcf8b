"""`pycompose up/down --context kubernetes`: the Compose verbs handing the project to a cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.cli.app import main
from tests.support import kubernetes_cases
from tests.support.commands import run_in as run
from tests.support.kube_api import FakeApiServer

NO_KUBECONFIG = (
    "pycompose: no kubeconfig found (looked for ~/.kube/config): point KUBECONFIG or "
    "--kubeconfig at the cluster's configuration\n"
)


@pytest.fixture
def web_db(tmp_path: Path) -> Path:
    return Path(shutil.copytree(kubernetes_cases.CASES / "web-db", tmp_path / "web-db"))


@pytest.mark.parametrize("verb", ["up", "down"])
def test_a_missing_kubeconfig_is_one_line(web_db: Path, verb: str) -> None:
    result = run(web_db, verb, "--context", "kubernetes")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", NO_KUBECONFIG)


def test_an_unknown_context_is_one_line(web_db: Path) -> None:
    result = run(web_db, "up", "--context", "swarm")
    assert result.returncode == 1
    assert result.stderr == "pycompose: unknown context 'swarm': use default or kubernetes\n"


def test_up_and_down_reach_the_cluster(
    api_server: FakeApiServer, web_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = str(web_db / "compose.yaml")
    with pytest.raises(SystemExit) as done:
        main(["-f", compose, "up", "--context", "kubernetes", "-d"])
    assert done.value.code == 0
    assert "Deployment/web applied" in capsys.readouterr().out
    assert api_server.objects
    with pytest.raises(SystemExit) as done:
        main(["-f", compose, "down", "--context", "kubernetes", "-v"])
    assert done.value.code == 0
    assert "Deployment/web removed" in capsys.readouterr().out
    assert api_server.objects == {}
