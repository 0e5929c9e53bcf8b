"""A Compose service's `build:` as a build request: every key the spec models."""

from __future__ import annotations

from pathlib import Path

import pytest

import specs
from orchestrator.building import BuildServicesOptions, build_request, services_to_build
from runtime.build.errors import BuildError
from specs.errors import SpecError
from tests.support.builds import write_context

COMPOSE = """\
services:
  web:
    image: registry.example/shop/web:2
    build:
      context: ./web
      dockerfile: Containerfile
      args: {VERSION: "1.2", MODE: prod}
      target: runtime
      labels: {team: shop}
      network: host
      tags: ["web:extra"]
      no_cache: true
      pull: true
  worker:
    build: ./worker
  inline:
    build:
      context: .
      dockerfile_inline: "FROM busybox\\n"
  remote:
    profiles: [extra]
    build: https://github.com/example/repo.git#main
  db:
    image: postgres
"""


@pytest.fixture
def project(tmp_path: Path) -> specs.model.Project:
    write_context(tmp_path, {"compose.yaml": COMPOSE, "web/Containerfile": "", "worker/x": ""})
    return specs.load([str(tmp_path / "compose.yaml")], env={}, project_name="shop")


def test_every_build_key_is_mapped(project: specs.model.Project, tmp_path: Path) -> None:
    options = BuildServicesOptions(build_args={"MODE": "debug"})
    web = build_request(project, project.services["web"], options)
    assert web.context == tmp_path / "web"
    assert web.dockerfile == tmp_path / "web" / "Containerfile"
    assert web.tags == ("registry.example/shop/web:2", "web:extra")
    assert web.build_args == {"VERSION": "1.2", "MODE": "debug"}  # the command line wins
    assert (web.target, web.network, web.no_cache, web.pull) == ("runtime", "host", True, True)
    assert web.labels == {"team": "shop"}

    worker = build_request(project, project.services["worker"], BuildServicesOptions(pull=True))
    assert worker.tags == ("shop-worker",)
    assert worker.dockerfile == tmp_path / "worker" / "Dockerfile"
    assert (worker.network, worker.no_cache, worker.pull) == ("default", False, True)

    inline = build_request(project, project.services["inline"], BuildServicesOptions())
    assert inline.dockerfile is None and inline.dockerfile_inline == "FROM busybox\n"


def test_which_services_are_built(project: specs.model.Project) -> None:
    assert [s.name for s in services_to_build(project)] == ["web", "worker", "inline"]
    assert [s.name for s in services_to_build(project, ["db", "worker"])] == ["worker"]
    with pytest.raises(SpecError, match="no such service: nope"):
        services_to_build(project, ["nope"])
    remote = services_to_build(project, ["remote"])[0]  # named: enabled despite its profile
    with pytest.raises(BuildError, match="remote build contexts"):
        build_request(project, remote, BuildServicesOptions())
