"""The plan as a pure function: what is created, recreated, started, kept and removed, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.desired import desired_services
from orchestrator.errors import OrchestratorError
from orchestrator.graph import ServiceGraph
from orchestrator.observed import ObservedContainer, ObservedProject
from orchestrator.plan import ActionKind, PlanOptions, plan_project
from specs.model import Project
from tests.support.projects import load_text

APP = """
services:
  db:
    image: busybox
    environment: {ROLE: db}
  web:
    image: busybox
    depends_on: [db]
    environment: {ROLE: web}
    ports: ["8080:80"]
  sidecar:
    image: busybox
    network_mode: "service:web"
"""
IMAGE = "sha256:" + "1" * 64


def running(
    project: Project, service: str, number: int = 1, **changes: object
) -> ObservedContainer:
    """A running container made from the current file."""
    fields: dict[str, object] = {
        "id": f"{service}{number}".ljust(64, "0"),
        "name": f"app-{service}-{number}",
        "service": service,
        "number": number,
        "state": "running",
        "config_hash": project.services[service].config_hash(),
        "image_id": IMAGE,
        "created": f"2024-01-01T00:00:0{number}Z",
    }
    fields.update(changes)
    return ObservedContainer(**fields)  # type: ignore[arg-type]


def plan(project: Project, containers: list[ObservedContainer], **kwargs: object):  # type: ignore[no-untyped-def]
    configs = kwargs.pop("configs", None)
    scale = kwargs.pop("scale", None)
    services = kwargs.pop("services", None)
    desired = desired_services(
        project,
        scale=scale,  # type: ignore[arg-type]
        image_ids={name: IMAGE for name in project.services},
    )
    return plan_project(
        desired,
        ServiceGraph(project),
        ObservedProject("app", tuple(containers)),
        services=services,  # type: ignore[arg-type]
        configs=configs,  # type: ignore[arg-type]
        options=PlanOptions(**kwargs),  # type: ignore[arg-type]
    )


def kinds(result) -> dict[str, ActionKind]:  # type: ignore[no-untyped-def]
    return {action.target: action.kind for action in result.actions}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return load_text(tmp_path, APP)


def test_empty_project_creates_everything_in_dependency_order(project: Project) -> None:
    result = plan(project, [])
    assert [a.describe() for a in result.actions] == [
        "db: create (not created yet)",
        "web: create (not created yet)",
        "sidecar: create (not created yet)",
    ]
    assert result.actions[1].container_name == "app-web-1"


def test_nothing_changed_means_nothing_to_do(project: Project) -> None:
    result = plan(project, [running(project, s) for s in ("db", "web", "sidecar")])
    assert result.empty
    assert {a.reason for a in result.actions} == {"up to date"}


def test_environment_change_names_the_key_and_takes_namespace_dependents(
    project: Project, tmp_path: Path
) -> None:
    old = load_text(tmp_path / "old", APP.replace("ROLE: web", "ROLE: old"))
    observed = [running(project, "db"), running(old, "web"), running(project, "sidecar")]
    from orchestrator.desired import comparable_config

    configs = {old.services["web"].config_hash(): comparable_config(old.services["web"])}
    result = plan(project, observed, configs=configs)
    lines = result.lines()
    assert "web: recreate (environment changed)" in lines
    assert "sidecar: recreate (shares the namespaces of web, recreated)" in lines
    assert "db: keep (up to date)" in lines


def test_unknown_old_configuration_still_recreates(project: Project) -> None:
    observed = [running(project, "db", config_hash="f" * 64)]
    result = plan(project, observed, services=["db"])
    assert result.lines() == ["db: recreate (configuration changed)"]


def test_image_change_recreates(project: Project) -> None:
    observed = [running(project, "db", image_id="sha256:" + "2" * 64)]
    assert plan(project, observed, services=["db"]).lines() == ["db: recreate (image changed)"]


def test_no_recreate_keeps_and_force_recreate_replaces(project: Project) -> None:
    observed = [running(project, "db", config_hash="f" * 64), running(project, "web")]
    kept = plan(project, observed, services=["db", "web"], no_recreate=True)
    assert kinds(kept) == {"db": ActionKind.KEEP, "web": ActionKind.KEEP}
    forced = plan(
        project,
        [running(project, "db"), running(project, "web")],
        services=["db", "web"],
        force_recreate=True,
        targets=frozenset({"web"}),
    )
    assert kinds(forced) == {"db": ActionKind.KEEP, "web": ActionKind.RECREATE}


def test_stopped_container_is_started(project: Project) -> None:
    observed = [running(project, "db", state="exited", exit_code=0)]
    assert plan(project, observed, services=["db"]).lines() == ["db: start (container is exited)"]


def test_scale_up_and_down(project: Project) -> None:
    observed = [running(project, "db", n) for n in (1, 2, 3)]
    down = plan(project, observed, services=["db"], scale={"db": 1})
    assert [(a.kind, a.target) for a in down.changes] == [
        (ActionKind.REMOVE, "app-db-3"),
        (ActionKind.REMOVE, "app-db-2"),
    ]
    up = plan(project, observed[:1], services=["db"], scale={"db": 3})
    assert [(a.kind, a.target) for a in up.changes] == [
        (ActionKind.CREATE, "db-2"),
        (ActionKind.CREATE, "db-3"),
    ]


def test_two_containers_for_one_replica_become_one(project: Project) -> None:
    stale = running(project, "db", config_hash="f" * 64, id="a" * 64, name="x_app-db-1")
    fresh = running(project, "db", created="2024-02-01T00:00:00Z")
    result = plan(project, [stale, fresh], services=["db"])
    assert [(a.kind, a.container_id) for a in result.changes] == [(ActionKind.REMOVE, "a" * 64)]


def test_orphans_are_reported_or_removed(project: Project) -> None:
    from dataclasses import replace

    orphan = replace(running(project, "db"), service="gone", name="app-gone-1", id="9" * 64)
    observed = [orphan, *(running(project, s) for s in ("db", "web", "sidecar"))]
    reported = plan(project, observed)
    assert reported.empty and [o.name for o in reported.orphans] == ["app-gone-1"]
    removed = plan(project, observed, remove_orphans=True)
    assert [a.describe() for a in removed.changes] == [
        "app-gone-1: remove (orphan: service gone is not in the file)"
    ]


def test_restart_true_dependents_restart_with_a_recreated_dependency(tmp_path: Path) -> None:
    project = load_text(
        tmp_path,
        """
        services:
          db: {image: busybox}
          api:
            image: busybox
            depends_on: {db: {condition: service_started, restart: true}}
        """,
    )
    observed = [running(project, "db", config_hash="f" * 64), running(project, "api")]
    assert plan(project, observed).lines() == [
        "db: recreate (configuration changed)",
        "api: restart (db was recreated)",
    ]


def test_owner_recreated_alone_still_takes_its_followers(project: Project) -> None:
    observed = [
        running(project, "db"),
        running(project, "web", config_hash="f" * 64),
        running(project, "sidecar"),
    ]
    result = plan(project, observed, services=["web"])
    assert kinds(result) == {"web": ActionKind.RECREATE, "sidecar": ActionKind.RECREATE}


def test_container_name_limits_replicas(tmp_path: Path) -> None:
    project = load_text(tmp_path, "services:\n  db: {image: busybox, container_name: the-db}\n")
    assert plan(project, []).actions[0].container_name == "the-db"
    with pytest.raises(OrchestratorError, match="container_name"):
        plan(project, [], scale={"db": 2})


def test_a_completed_one_shot_is_not_run_again_unless_named(tmp_path: Path) -> None:
    project = load_text(
        tmp_path,
        """
        services:
          migrate: {image: busybox}
          app:
            image: busybox
            depends_on: {migrate: {condition: service_completed_successfully}}
        """,
    )
    done = running(project, "migrate", state="exited", exit_code=0)
    observed = [done, running(project, "app")]
    assert plan(project, observed).lines() == [
        "migrate: keep (completed successfully)",
        "app: keep (up to date)",
    ]
    named = plan(project, observed, services=["migrate"], targets=frozenset({"migrate"}))
    assert named.lines() == ["migrate: start (container is exited)"]
    failed = running(project, "migrate", state="exited", exit_code=1)
    assert plan(project, [failed], services=["migrate"]).lines() == [
        "migrate: start (container is exited)"
    ]
