"""`docker run` flags become the request Docker would make of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.cli.container_options import RunOptions, build_request, parse_env, parse_volume
from runtime.containers.model import Healthcheck, RestartPolicy
from runtime.containers.spec import ContainerSpecError, MountSpec, NamespaceMode


def test_volumes_binds_and_anonymous() -> None:
    assert parse_volume("/data") == MountSpec("volume", "/data")
    assert parse_volume("cache:/var/cache:ro") == MountSpec("volume", "/var/cache", "cache", True)
    assert parse_volume("/srv:/srv:ro,rslave") == MountSpec("bind", "/srv", "/srv", True, "rslave")
    with pytest.raises(ContainerSpecError, match="absolute"):
        parse_volume("a:relative")


def test_environment_from_files_flags_and_this_environment(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nA=1\n\nB=from-file\n")
    result = parse_env(["B=flag", "HOME", "UNSET"], [str(env_file)], {"HOME": "/root"})
    assert result == {"A": "1", "B": "flag", "HOME": "/root"}


def test_a_full_command_line() -> None:
    request = build_request(
        RunOptions(
            image="busybox",
            command=["sh", "-c", "true"],
            name="web",
            interactive=True,
            tty=True,
            env=["A=1"],
            volumes=["/data"],
            mounts=["type=tmpfs,target=/scratch,tmpfs-size=1m"],
            tmpfs=["/run:size=64k,mode=1777"],
            publish=["127.0.0.1:8080:80", "53/udp"],
            networks=["front"],
            network_aliases=["www"],
            memory="512m",
            memory_swap="-1",
            cpus=1.5,
            pids_limit=100,
            restart="on-failure:3",
            health_cmd="wget -q localhost",
            health_interval="2s",
            health_retries=5,
            log_opts=["max-size=10m", "max-file=3"],
            labels=["tier=web"],
            add_hosts=["db:10.0.0.5"],
            entrypoint="",
            stop_timeout=3,
        ),
        environ={},
    )
    spec = request.spec
    assert spec.name == "web" and spec.command == ("sh", "-c", "true") and spec.entrypoint == ()
    assert spec.tty and spec.stdin_open and spec.env == {"A": "1"}
    assert [m.kind for m in spec.mounts] == ["volume", "tmpfs", "tmpfs"]
    assert spec.mounts[1].tmpfs_size == 1024 * 1024 and spec.mounts[2].tmpfs_mode == 0o1777
    assert spec.resources.memory == 512 * 1024**2 and spec.resources.memory_swap == -1
    assert spec.resources.cpus == 1.5 and spec.resources.pids_limit == 100
    assert spec.stop_grace_period == 3.0 and spec.labels == {"tier": "web"}
    assert [(p.host_ip, p.host_port, p.container_port, p.protocol) for p in request.ports] == [
        ("127.0.0.1", 8080, 80, "tcp"),
        ("", 0, 53, "udp"),
    ]
    assert request.networks[0].network == "front" and request.networks[0].aliases == ("www",)
    assert request.restart == RestartPolicy("on-failure", 3)
    assert request.healthcheck == Healthcheck(("CMD-SHELL", "wget -q localhost"), 2.0, retries=5)
    assert request.log.max_size == 10 * 1024**2 and request.log.max_file == 3
    assert request.extra_hosts == (("db", "10.0.0.5"),)
    assert request.stdin_once


def test_network_modes_and_conflicts() -> None:
    host = build_request(RunOptions(image="x", networks=["host"], publish=["80:80"]), environ={})
    assert host.spec.network == NamespaceMode("host") and host.ports == ()
    joined = build_request(RunOptions(image="x", networks=["container:db"]), environ={})
    assert joined.spec.network == NamespaceMode("container", "db")
    bridge = build_request(RunOptions(image="x", networks=["bridge"]), environ={})
    assert bridge.spec.network == NamespaceMode() and bridge.networks[0].network == "bridge"
    off = build_request(RunOptions(image="x", no_healthcheck=True), environ={})
    assert off.healthcheck == Healthcheck(test=("NONE",))
    with pytest.raises(ContainerSpecError, match="--restart and --rm"):
        build_request(RunOptions(image="x", remove=True, restart="always"), environ={})
    with pytest.raises(ContainerSpecError, match="invalid restart policy"):
        build_request(RunOptions(image="x", restart="sometimes"), environ={})
    with pytest.raises(ContainerSpecError, match="invalid size"):
        build_request(RunOptions(image="x", memory="lots"), environ={})
    with pytest.raises(ContainerSpecError, match="max-file needs max-size"):
        build_request(RunOptions(image="x", log_opts=["max-file=2"]), environ={})
