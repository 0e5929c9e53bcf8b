"""Requests survive the store, --change reads like a Dockerfile, times read like Docker's."""

from __future__ import annotations

import json
import os

import pytest

from runtime.containers.changes import apply_changes
from runtime.containers.errors import ContainerError
from runtime.containers.model import (
    ContainerRequest,
    Healthcheck,
    LogConfig,
    NetworkAttachment,
    RestartPolicy,
    resolve_healthcheck,
)
from runtime.containers.serialization import request_from_json, to_json
from runtime.containers.spec import ContainerSpec, MountSpec, NamespaceMode, Resources
from runtime.containers.state import EXIT_UNKNOWN, MONITOR_GONE, observed_state
from runtime.containers.timestamps import (
    format_timestamp,
    parse_duration,
    parse_since,
    parse_timestamp,
    since_text,
)
from runtime.network.ports import parse_port_spec
from runtime.oci.state import process_start_time


def test_a_request_round_trips_through_json() -> None:
    request = ContainerRequest(
        ContainerSpec(
            name="x",
            command=("sh", "-c", "x"),
            env={"A": "1"},
            mounts=(MountSpec("volume", "/data", "v", read_only=True),),
            resources=Resources(memory=10, cpus=0.5),
            network=NamespaceMode.parse("container:y"),
        ),
        "busybox",
        networks=(NetworkAttachment("n", ("a",), "10.1.0.9"),),
        ports=tuple(parse_port_spec("127.0.0.1:80:8080/udp")),
        healthcheck=Healthcheck(("CMD", "true"), interval=1.5),
        restart=RestartPolicy.parse("on-failure:3"),
        log=LogConfig(options={"max-size": "1k", "max-file": "2"}),
        extra_hosts=(("h", "1.2.3.4"),),
    )
    assert request_from_json(json.loads(json.dumps(to_json(request)))) == request


def test_healthcheck_fields_fall_back_to_the_image_then_docker() -> None:
    image = {"Healthcheck": {"Test": ["CMD-SHELL", "check"], "Interval": 2_000_000_000}}
    plan = resolve_healthcheck(Healthcheck(retries=7), image)
    assert plan is not None and plan.argv == ["/bin/sh", "-c", "check"]
    assert (plan.interval, plan.timeout, plan.retries, plan.start_interval) == (2.0, 30.0, 7, 5.0)
    assert resolve_healthcheck(Healthcheck(test=("NONE",)), image) is None
    assert resolve_healthcheck(None, {}) is None


def test_changes_are_dockerfile_instructions() -> None:
    config = apply_changes(
        {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Unrelated": True},
        [
            'CMD ["cat", "/x"]',
            'ENV A=1 B="two words" C=$A',
            "WORKDIR app",
            "EXPOSE 80/udp 8080",
            'LABEL "x y"=z',
            "USER nobody",
            "VOLUME /data",
        ],
    )
    assert config["Cmd"] == ["cat", "/x"] and config["Unrelated"] is True
    assert config["Env"] == ["PATH=/bin", "A=1", "B=two words", "C=1"]
    assert config["WorkingDir"] == "/app" and config["User"] == "nobody"
    assert config["ExposedPorts"] == {"80/udp": {}, "8080/tcp": {}}
    assert config["Labels"] == {"x y": "z"} and config["Volumes"] == {"/data": {}}
    assert apply_changes({"Cmd": ["sh"]}, ["ENTRYPOINT /bin/echo hi"]) == {
        "Entrypoint": ["/bin/sh", "-c", "/bin/echo hi"]
    }
    with pytest.raises(ContainerError, match="RUN is not a valid change command"):
        apply_changes({}, ["RUN true"])


def test_times() -> None:
    stamp = format_timestamp(1_700_000_000_123_456_789)
    assert stamp == "2023-11-14T22:13:20.123456789Z"
    assert parse_timestamp(stamp) == pytest.approx(1_700_000_000.123456789)
    assert parse_timestamp("2024-01-01T00:00:00+02:00") == 1704060000.0
    assert parse_duration("1h30m") == 5400 and parse_duration("250ms") == 0.25
    assert parse_duration("10") is None
    assert parse_since("10m", now=1000.0) == 400.0 and parse_since("1700000000") == 1.7e9
    assert [since_text(s) for s in (0.5, 1, 30, 70, 600, 3600, 7200)] == [
        "Less than a second", "1 second", "30 seconds", "About a minute", "10 minutes",
        "About an hour", "2 hours",
    ]  # fmt: skip


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "status": "running", "pid": 0, "pid_start": 0, "monitor_pid": 0, "monitor_start": 0,
        "exit_code": 0, "oom_killed": 0, "error": "", "started_at": "", "finished_at": "",
        "restart_count": 0, "health_status": "", "health_failing": 0, "health_log": "[]",
        "cleanup_pending": 0,
    }  # fmt: skip
    row.update(changes)
    return row


def test_state_is_what_proc_confirms() -> None:
    me, my_start = os.getpid(), process_start_time(os.getpid())
    alive = {"pid": me, "pid_start": my_start}
    monitor = {"monitor_pid": me, "monitor_start": my_start}
    assert observed_state(_row(**alive, **monitor)).status == "running"
    orphan = observed_state(_row(**alive))
    assert orphan.status == "running" and orphan.error == MONITOR_GONE and orphan.pid == me
    lost = observed_state(_row(pid=me, pid_start=(my_start or 0) + 1))  # the pid was reused
    assert (lost.status, lost.exit_code, lost.error) == ("exited", 255, EXIT_UNKNOWN)
    assert observed_state(_row(status="exited", exit_code=3, **alive)).pid == 0
