"""cgroup limits seen from inside and outside: memory (OOMKilled), CPU quota, pids, devices."""

from __future__ import annotations

import pytest

from runtime.containers.spec import ContainerSpec, Resources
from tests.integration.runtime.conftest import Engine

MIB = 1024 * 1024


def sh(script: str, **options: object) -> ContainerSpec:
    return ContainerSpec(name="lim", command=("sh", "-c", script), **options)  # type: ignore[arg-type]


def test_memory_limit_kills_an_allocation_loop_and_reports_oom(engine: Engine) -> None:
    script = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"
    result = engine.run(sh(script, resources=Resources(memory=32 * MIB)))
    assert result.stdout.splitlines()[0] == str(32 * MIB)
    assert result.status.code == 137
    assert result.status.oom_killed


def test_normal_exit_is_not_oom(engine: Engine) -> None:
    result = engine.run(sh("exit 0", resources=Resources(memory=32 * MIB)))
    assert result.status.code == 0 and not result.status.oom_killed


def test_half_a_cpu_shows_in_the_cgroup_files(engine: Engine) -> None:
    spec = sh(
        "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us "
        "/sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpuset/cpuset.cpus",
        resources=Resources(cpus=0.5, cpu_shares=512, cpuset_cpus="0"),
    )
    assert engine.run(spec).stdout.split() == ["50000", "100000", "512", "0"]


def test_pids_limit_stops_a_fork_bomb(engine: Engine) -> None:
    script = (
        "sh -c 'i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done'; "
        # builtins only from here: the shell itself can no longer fork
        "read max < /sys/fs/cgroup/pids/pids.max; read cur < /sys/fs/cgroup/pids/pids.current; "
        "echo $max $cur; kill -9 -1"
    )
    result = engine.run(sh(script, resources=Resources(pids_limit=20)))
    limit, current = result.stdout.split()[:2]
    assert limit == "20"
    assert int(current) <= 20
    assert "can't fork" in result.stderr or "Resource temporarily unavailable" in result.stderr


def test_devices_outside_the_allowlist_are_refused(engine: Engine) -> None:
    script = "mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem > /dev/null && echo READ; head -c 1 /dev/zero | wc -c"
    result = engine.run(sh(script))
    assert "READ" not in result.stdout
    assert result.stdout.split()[-1] == "1"
    assert "Operation not permitted" in result.stderr


def test_rlimits_are_set_and_capped_to_the_hard_limit(engine: Engine) -> None:
    import resource

    from runtime.containers.spec import Ulimit

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("the hard nofile limit is unlimited here")
    spec = sh("ulimit -n; ulimit -Hn", ulimits=(Ulimit("nofile", 512, 1024),))
    assert engine.run(spec).stdout.split() == ["512", "1024"]
    made = engine.bundle(sh("ulimit -Hn", ulimits=(Ulimit("nofile", 1024, hard + 1000),)))
    record = engine.runtime.create(made.container_id, made.path, stdio=(0, 1, 2))
    assert any("lowered" in note and "CAP_SYS_RESOURCE" in note for note in record.notes)
    engine.runtime.delete(made.container_id, force=True)


def test_mapped_device_and_sysctl(engine: Engine) -> None:
    from runtime.containers.spec import DeviceMapping

    spec = sh(
        "head -c 4 /dev/myzero | wc -c; cat /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv4/ip_forward || echo RO",
        devices=(DeviceMapping("/dev/zero", "/dev/myzero", "r"),),
        sysctls={"net.ipv4.ip_forward": "1"},
    )
    result = engine.run(spec)
    assert result.stdout.split() == ["4", "1", "RO"], result.stderr


def test_update_changes_a_running_containers_limits(engine: Engine) -> None:
    from runtime.oci.spec import Memory
    from runtime.oci.spec import Resources as OCIResources
    from tests.support.bundles import cgroup_dirs

    made = engine.bundle(
        ContainerSpec(name="upd", command=("sleep", "100"), resources=Resources(memory=64 * MIB))
    )
    engine.runtime.create(made.container_id, made.path, stdio=(0, 1, 2))
    engine.runtime.start(made.container_id)
    engine.runtime.update(
        made.container_id, OCIResources(memory=Memory(limit=96 * MIB, swap=96 * MIB))
    )
    memory = next(
        d for d in cgroup_dirs(str(made.spec.linux.cgroups_path)) if d.parts[4] == "memory"
    )
    assert (memory / "memory.limit_in_bytes").read_text().strip() == str(96 * MIB)
    engine.runtime.kill(made.container_id, "KILL", all=True)
    assert engine.runtime.wait(made.container_id).code == 137
    engine.runtime.delete(made.container_id)


def test_init_reaps_and_forwards_signals(engine: Engine) -> None:
    import time

    import pytest

    from runtime.containers.bundle import find_init
    from runtime.errors import EngineError

    try:
        find_init()
    except EngineError:
        pytest.skip("no static init program (catatonit, tini) on this host")
    result = engine.run(sh("cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$", init=True))
    lines = result.stdout.splitlines()
    assert lines[0].startswith("/dev/init -- sh -c")
    assert lines[1] != "1"  # the shell is not PID 1; the init is
    made = engine.bundle(ContainerSpec(name="sig", command=("sleep", "100"), init=True))
    engine.runtime.create(made.container_id, made.path, stdio=(0, 1, 2))
    engine.runtime.start(made.container_id)
    time.sleep(0.3)  # until the init has its signal handling set up (before, PID 1 drops TERM)
    engine.runtime.kill(made.container_id, "TERM")  # plain PID 1 sleep would ignore it
    assert engine.runtime.wait(made.container_id).code == 143
    engine.runtime.delete(made.container_id)
