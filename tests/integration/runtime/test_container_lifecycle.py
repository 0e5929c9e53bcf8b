"""The OCI lifecycle through the library and through `pycompose-runtime`, and no residue."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from runtime.containers.spec import ContainerSpec
from runtime.errors import EngineError
from runtime.linux import terminal
from runtime.oci.runtime import wait_pid
from tests.integration.runtime.conftest import Engine
from tests.support.bundles import cgroup_dirs, host_mounts, pids_of

RUNTIME_CLI = str(Path(sys.executable).parent / "pycompose-runtime")


def sleeper(**options: object) -> ContainerSpec:
    return ContainerSpec(name="life", command=("sleep", "1000"), **options)  # type: ignore[arg-type]


def test_create_start_state_kill_delete_leaves_nothing(engine: Engine) -> None:
    made = engine.bundle(sleeper())
    mounts_before = host_mounts()
    runtime = engine.runtime
    record = runtime.create(made.container_id, made.path)
    assert runtime.state(made.container_id)["status"] == "created"
    # Created but not started: the process waits, it has not exec'd sleep yet.
    assert Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")[0] != b"sleep"
    runtime.start(made.container_id)
    state = runtime.state(made.container_id)
    assert state["status"] == "running"
    assert state["pid"] == record.pid
    time.sleep(0.05)
    assert Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
    with pytest.raises(EngineError, match="not stopped"):
        runtime.delete(made.container_id)
    runtime.kill(made.container_id, "SIGKILL")
    status = runtime.wait(made.container_id)
    assert status.code == 137 and status.signal == signal.SIGKILL and not status.oom_killed
    assert runtime.state(made.container_id)["status"] == "stopped"
    cgroups = cgroup_dirs(str(record.cgroup_path))
    assert all(d.is_dir() for d in cgroups)
    runtime.delete(made.container_id)
    assert not any(d.exists() for d in cgroups)
    assert not os.path.exists(f"/proc/{record.pid}")
    assert host_mounts() == mounts_before
    assert runtime.states.ids() == []
    with pytest.raises(EngineError, match="does not exist"):
        runtime.state(made.container_id)


def test_exec_joins_the_running_container(engine: Engine) -> None:
    made = engine.bundle(sleeper(hostname="box"))
    runtime = engine.runtime
    record = runtime.create(made.container_id, made.path)
    runtime.start(made.container_id)
    read_end, write_end = os.pipe()
    process = runtime.exec_process_from(
        made.container_id,
        [
            "sh",
            "-c",
            "hostname; ps -o pid,comm; readlink /proc/self/ns/pid; grep CapEff /proc/self/status; cat /proc/self/cgroup | grep memory",
        ],
    )
    pid = runtime.exec(made.container_id, process, stdio=(0, write_end, write_end))
    os.close(write_end)
    assert wait_pid(pid).code == 0
    with os.fdopen(read_end) as handle:
        output = handle.read()
    assert output.splitlines()[0] == "box"
    assert "1 sleep" in output
    assert os.readlink(f"/proc/{record.pid}/ns/pid") in output
    assert "CapEff:\t00000000a80425fb" in output
    assert "memory:/\n" in output or output.rstrip().endswith("memory:/")
    runtime.delete(made.container_id, force=True)


def test_terminal_through_a_console_socket(engine: Engine, tmp_path: Path) -> None:
    spec = ContainerSpec(
        name="tty",
        command=("sh", "-c", "tty; echo $TERM; echo on-console > /dev/console"),
        tty=True,
    )
    made = engine.bundle(spec)
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    runtime = engine.runtime
    runtime.create(made.container_id, made.path, console_socket=child.fileno())
    child.close()
    master = terminal.receive_fd(parent)
    runtime.start(made.container_id)
    assert runtime.wait(made.container_id).code == 0
    output = b""
    try:
        while chunk := os.read(master, 1024):
            output += chunk
    except OSError:
        pass
    os.close(master)
    assert b"/dev/pts/0" in output
    assert b"xterm" in output
    assert b"on-console" in output


def test_command_line_lifecycle(engine: Engine, tmp_path: Path) -> None:
    made = engine.bundle(sleeper())
    root = str(tmp_path / "cli-state")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        # Files, not pipes: the container keeps its stdio open long after the command exits.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            done = subprocess.run(
                [RUNTIME_CLI, "--root", root, *args], stdout=out, stderr=err, check=False
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())

    pid_file = tmp_path / "pid"
    created = cli(
        "create", "--bundle", str(made.path), "--pid-file", str(pid_file), made.container_id
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(cli("state", made.container_id).stdout)["status"] == "created"
    assert cli("start", made.container_id).returncode == 0
    state = json.loads(cli("state", made.container_id).stdout)
    assert state["status"] == "running" and state["pid"] == int(pid_file.read_text())
    executed = cli("exec", made.container_id, "sh", "-c", "echo in; exit 4")
    assert executed.returncode == 4 and executed.stdout == "in\n"
    refused = cli("delete", made.container_id)
    assert (
        refused.returncode == 1
        and "not stopped" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    assert cli("kill", made.container_id, "KILL").returncode == 0
    deadline = time.monotonic() + 5
    while json.loads(cli("state", made.container_id).stdout)["status"] != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert cli("delete", made.container_id).returncode == 0
    missing = cli("state", made.container_id)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert not any(d.exists() for d in cgroup_dirs(str(made.spec.linux.cgroups_path)))


def test_cli_run_returns_the_exit_code(engine: Engine, tmp_path: Path) -> None:
    made = engine.bundle(ContainerSpec(name="run", command=("sh", "-c", "echo hi; exit 5")))
    result = subprocess.run(
        [
            RUNTIME_CLI,
            "--root",
            str(tmp_path / "s"),
            "run",
            "-b",
            str(made.path),
            made.container_id,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 5 and result.stdout == "hi\n"
    assert not any(pids_of(d) for d in cgroup_dirs(str(made.spec.linux.cgroups_path)))


def test_bad_bundle_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    result = subprocess.run(
        [RUNTIME_CLI, "--root", str(tmp_path / "s"), "create", "-b", str(tmp_path), "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("pycompose-runtime: cannot read")
        and "Traceback" not in result.stderr
    )
