"""Helpers for the Kubernetes tests: convert a Compose text, find objects in the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import specs
from orchestrator.kubernetes import Conversion, ConversionOptions, convert
from tests.support.kube_api import FakeApiServer, write_kubeconfig

Convert = Callable[..., Conversion]


@pytest.fixture
def convert_text(tmp_path: Path) -> Convert:
    """Convert a Compose file given as text (as project `app` unless told otherwise)."""

    def run(
        text: str,
        *,
        allow_hostpath: bool = False,
        env: dict[str, str] | None = None,
        project_name: str | None = "app",
    ) -> Conversion:
        path = tmp_path / "compose.yaml"
        path.write_text(text)
        project = specs.load(
            [str(path)], env=env or {}, project_name=project_name, working_dir=str(tmp_path)
        )
        return convert(project, ConversionOptions(allow_hostpath=allow_hostpath))

    return run


def find(conversion: Conversion, kind: str, name: str) -> dict[str, Any]:
    """The object of that kind and name (AssertionError when there is none)."""
    for document in conversion.documents:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            return document
    kinds = [(doc["kind"], doc["metadata"]["name"]) for doc in conversion.documents]
    raise AssertionError(f"no {kind}/{name} in {kinds}")


def pod_of(conversion: Conversion, name: str) -> dict[str, Any]:
    """The Pod spec of the workload `name`, whatever its kind."""
    for document in conversion.documents:
        if (
            document["kind"] in ("Deployment", "StatefulSet", "Job")
            and document["metadata"]["name"] == name
        ):
            spec: dict[str, Any] = document["spec"]["template"]["spec"]
            return spec
    raise AssertionError(f"no workload {name}")


@pytest.fixture
def api_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApiServer:
    """A fake API server in place of the client's connection pool, and a kubeconfig
    (namespace `shop`) pointing at it through $KUBECONFIG."""
    import urllib3

    server = FakeApiServer()
    for variable in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(urllib3, "PoolManager", server)
    monkeypatch.setattr(urllib3, "ProxyManager", server)
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig")))
    return server
