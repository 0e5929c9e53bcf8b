"""A container as Docker makes it, seen from inside: capabilities, masks, seccomp, names."""

from __future__ import annotations

import os

from runtime.containers.spec import ContainerSpec, NamespaceMode
from runtime.linux.capabilities import DOCKER_DEFAULT_CAPABILITIES, to_mask
from tests.integration.runtime.conftest import Engine
from tests.support.bundles import cgroup_dirs


def sh(script: str, **options: object) -> ContainerSpec:
    return ContainerSpec(name="t", command=("sh", "-c", script), **options)  # type: ignore[arg-type]


def status_fields(text: str) -> dict[str, str]:
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def test_capabilities_are_dockers_defaults(engine: Engine) -> None:
    result = engine.run(sh("cat /proc/self/status"))
    assert result.status.code == 0, result.stderr
    fields = status_fields(result.stdout)
    expected = f"{to_mask(DOCKER_DEFAULT_CAPABILITIES):016x}"
    assert fields["CapEff"] == expected
    assert fields["CapPrm"] == expected
    assert fields["CapBnd"] == expected
    assert fields["CapInh"] == "0000000000000000"
    assert fields["CapAmb"] == "0000000000000000"
    assert fields["Seccomp"] == "2"
    assert fields["NoNewPrivs"] == "0"


def test_cap_drop_and_add_and_no_new_privileges(engine: Engine) -> None:
    spec = sh(
        "cat /proc/self/status",
        cap_drop=("NET_RAW", "mknod"),
        cap_add=("CAP_NET_ADMIN",),
        security_opt=("no-new-privileges",),
    )
    fields = status_fields(engine.run(spec).stdout)
    expected = set(DOCKER_DEFAULT_CAPABILITIES) - {"CAP_NET_RAW", "CAP_MKNOD"} | {"CAP_NET_ADMIN"}
    assert fields["CapEff"] == f"{to_mask(expected):016x}"
    assert fields["NoNewPrivs"] == "1"


def test_proc_masks_and_read_only_paths(engine: Engine) -> None:
    script = (
        "for f in /proc/kcore /proc/keys /proc/timer_list; do "
        "[ -e $f ] && echo $f $(wc -c < $f); done; ls /proc/acpi | wc -l; "
        "echo 1 > /proc/sys/kernel/ns_last_pid && echo WROTE; "
        "touch /sys/x && echo WROTE; "
        "grep ' /sys/fs/cgroup/memory ' /proc/self/mounts"
    )
    result = engine.run(sh(script))
    lines = result.stdout.splitlines()
    masked = dict(line.split() for line in lines if line.startswith("/proc/"))
    # /proc/kcore only exists on kernels built with it; where it does, it reads as empty.
    expected = {f for f in ("/proc/kcore", "/proc/keys", "/proc/timer_list") if os.path.exists(f)}
    assert set(masked) == expected
    assert set(masked.values()) == {"0"}
    assert lines[len(masked)].strip() == "0"  # /proc/acpi is an empty tmpfs
    assert "WROTE" not in result.stdout
    assert "Read-only file system" in result.stderr
    assert " ro," in lines[-1]


def test_mount_and_unshare_are_refused(engine: Engine) -> None:
    result = engine.run(
        sh("mount -t tmpfs none /mnt && echo MOUNTED; unshare -n true && echo UNSHARED; true")
    )
    assert "MOUNTED" not in result.stdout
    assert "UNSHARED" not in result.stdout
    assert "Operation not permitted" in result.stderr or "denied" in result.stderr


def test_hostname_pid1_and_own_namespaces(engine: Engine) -> None:
    script = "hostname; echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; for n in mnt pid uts ipc net cgroup user; do readlink /proc/self/ns/$n; done"
    result = engine.run(sh(script, hostname="web-1", domainname="example.org"))
    lines = result.stdout.splitlines()
    assert lines[0] == "web-1"
    assert lines[1] == "1"
    assert lines[2].startswith("sh -c hostname")
    inside = lines[3:]
    host = [
        os.readlink(f"/proc/self/ns/{n}")
        for n in ("mnt", "pid", "uts", "ipc", "net", "cgroup", "user")
    ]
    for name, (a, b) in zip(
        ("mnt", "pid", "uts", "ipc", "net", "cgroup"), zip(inside, host, strict=False), strict=False
    ):
        assert a != b, f"{name} namespace is shared with the host"
    assert inside[6] == host[6]  # no user namespace: shared on purpose


def test_host_network_namespace_is_shared_when_asked(engine: Engine) -> None:
    result = engine.run(
        sh("readlink /proc/self/ns/net; readlink /proc/self/ns/uts", network=NamespaceMode("host"))
    )
    net, uts = result.stdout.split()
    assert net == os.readlink("/proc/self/ns/net")
    assert uts != os.readlink("/proc/self/ns/uts")


def test_user_and_groups_come_from_the_image(engine: Engine) -> None:
    result = engine.run(sh("id; cat /proc/self/status | grep CapEff", user="app"))
    assert (
        result.stdout.splitlines()[0] == "uid=1000(app) gid=1000(app) groups=100(users),1000(app)"
    )
    assert "0000000000000000" in result.stdout  # non-root keeps no capabilities after exec


def test_unknown_user_is_a_clear_error(engine: Engine) -> None:
    import pytest

    from runtime.errors import EngineError

    with pytest.raises(EngineError, match="unable to find user nobody2"):
        engine.run(sh("true", user="nobody2"))


def test_read_only_root_and_dev_nodes(engine: Engine) -> None:
    result = engine.run(
        sh(
            "touch /x && echo WROTE; ls /dev; echo ok > /dev/shm/f && cat /dev/shm/f",
            read_only=True,
        )
    )
    assert "WROTE" not in result.stdout
    for node in (
        "null",
        "zero",
        "full",
        "random",
        "urandom",
        "tty",
        "ptmx",
        "pts",
        "shm",
        "mqueue",
        "fd",
        "stdin",
    ):
        assert node in result.stdout.split()
    assert "ok" in result.stdout


def test_environment_and_working_dir(engine: Engine) -> None:
    spec = sh("env | sort; pwd", env={"APP": "1"}, working_dir="/tmp", hostname="h")
    lines = engine.run(spec).stdout.splitlines()
    assert "APP=1" in lines
    assert "HOSTNAME=h" in lines
    assert "HOME=/root" in lines
    assert any(line.startswith("PATH=/usr/local/sbin") for line in lines)
    assert lines[-1] == "/tmp"


def test_exit_codes_and_missing_program(engine: Engine) -> None:
    import pytest

    from runtime.errors import EngineError

    assert engine.run(sh("exit 7")).status.code == 7
    # PID 1 of a namespace ignores signals it has no handler for, even from itself.
    assert engine.run(sh("kill -9 $$; exit 3")).status.code == 3
    made = engine.bundle(ContainerSpec(name="t", command=("no-such-program",)))
    with pytest.raises(EngineError, match="executable file not found"):
        engine.run_bundle(made)
    # nothing half-made is left: no state, no cgroup, no process
    assert engine.runtime.states.ids() == []
    assert not any(d.exists() for d in cgroup_dirs(str(made.spec.linux.cgroups_path)))
