"""Small pure pieces of the orchestrator: labels, waiting verdicts, restore rules, the boot unit,
command-line parsing helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from orchestrator import labels as L
from orchestrator.boot_unit import render_unit
from orchestrator.cli.logs import parse_since
from orchestrator.cli.transfer import split_location
from orchestrator.cli.up import parse_scale
from orchestrator.errors import OrchestratorError
from orchestrator.restore import should_restore
from orchestrator.waiting import COMPLETED, HEALTHY, STARTED, judge
from runtime.containers.model import ContainerState, Health


def test_labels_round_trip() -> None:
    labels = L.container_labels(
        L.ContainerIdentity("app", "web", 2),
        config_hash="h" * 64,
        image_id="sha256:" + "1" * 64,
        working_dir="/srv/app",
        config_files=["/srv/app/compose.yaml", "/srv/app/compose.override.yaml"],
        depends_on={
            "db": ("service_healthy", False),
            "cache": ("service_started", True),
        },
    )
    assert labels[L.PROJECT] == "app" and labels[L.NUMBER] == "2"
    assert labels[L.ONEOFF] == "False"
    assert labels[L.DEPENDS_ON] == "cache:service_started:true,db:service_healthy:false"
    assert labels[L.CONFIG_FILES] == "/srv/app/compose.yaml,/srv/app/compose.override.yaml"
    assert L.parse_depends_on(labels[L.DEPENDS_ON]) == {
        "cache": ("service_started", True),
        "db": ("service_healthy", False),
    }
    assert L.identity_of(labels) == L.ContainerIdentity("app", "web", 2, False)
    assert L.identity_of({"other": "x"}) is None


@dataclass
class FakeContainer:
    state: ContainerState
    labels: dict[str, str] = field(default_factory=dict)


def state(status: str, **changes: object) -> FakeContainer:
    return FakeContainer(ContainerState(status=status, **changes))  # type: ignore[arg-type]


def test_waiting_verdicts() -> None:
    healthy = state("running", health=Health("healthy"), started_at="t")
    starting = state("running", health=Health("starting"), started_at="t")
    assert judge(healthy, HEALTHY).satisfied is True  # type: ignore[arg-type]
    assert judge(starting, HEALTHY).satisfied is None  # type: ignore[arg-type]
    unhealthy = judge(state("running", health=Health("unhealthy")), HEALTHY)  # type: ignore[arg-type]
    assert unhealthy.satisfied is False and unhealthy.why == "is unhealthy"
    no_check = judge(state("running", started_at="t"), HEALTHY)  # type: ignore[arg-type]
    assert no_check.satisfied is False and "no healthcheck" in no_check.why
    exited = judge(state("exited", exit_code=3, started_at="t"), HEALTHY)  # type: ignore[arg-type]
    assert exited.satisfied is False and "code 3" in exited.why
    assert judge(state("exited", exit_code=0, started_at="t"), COMPLETED).satisfied is True  # type: ignore[arg-type]
    failed = judge(state("exited", exit_code=2, started_at="t"), COMPLETED)  # type: ignore[arg-type]
    assert failed.satisfied is False and failed.why == "exited with code 2"
    assert judge(state("running", started_at="t"), COMPLETED).satisfied is None  # type: ignore[arg-type]
    assert judge(state("running", started_at="t"), STARTED).satisfied is True  # type: ignore[arg-type]
    assert judge(state("created"), STARTED).satisfied is None  # type: ignore[arg-type]
    assert judge(None, STARTED).satisfied is False


@pytest.mark.parametrize(
    ("policy", "stopped_by_user", "was_running", "expected"),
    [
        ("always", True, False, True),
        ("unless-stopped", False, False, True),
        ("unless-stopped", True, False, False),
        ("on-failure", False, True, True),
        ("on-failure", False, False, False),
        ("no", False, True, False),
    ],
)
def test_restore_rules(
    policy: str, stopped_by_user: bool, was_running: bool, expected: bool
) -> None:
    assert (
        should_restore(policy, stopped_by_user=stopped_by_user, was_running=was_running) is expected
    )


def test_boot_unit_runs_restore_for_its_root() -> None:
    text = render_unit("/usr/local/bin/pycompose", "/srv/engine root")
    assert "ExecStart=/usr/local/bin/pycompose --root '/srv/engine root' system restore" in text
    assert "Type=oneshot" in text and "WantedBy=multi-user.target" in text
    assert "After=network-online.target" in text


def test_command_line_helpers() -> None:
    assert parse_scale(["web=3", "db=0"]) == {"web": 3, "db": 0}
    with pytest.raises(OrchestratorError, match="SERVICE=NUMBER"):
        parse_scale(["web"])
    assert split_location("web:/etc/hosts") == ("web", "/etc/hosts")
    assert split_location("./out") == (None, "./out")
    assert split_location("-") == (None, "-")
    assert parse_since("10m", now=1000.0) == 400.0
    assert parse_since("2024-01-01T00:00:00Z") == 1704067200.0
    with pytest.raises(OrchestratorError):
        parse_since("yesterday")
