"""`pycompose container` run, ps, exec, logs, stop, rm as a user sees them."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.containers import ContainerCLI


def test_run_passes_output_and_exit_code_and_rm_leaves_nothing(cli: ContainerCLI) -> None:
    result = cli.run(
        "container", "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"
    )
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert cli.ok("container", "ps", "-aq") == ""
    missing = cli.run("container", "run", "--rm", "busybox", "no-such-program")
    assert missing.returncode == 127
    assert 'exec: "no-such-program": executable file not found in $PATH' in missing.stderr
    assert cli.ok("container", "ps", "-aq") == ""
    assert cli.residue() == []


def test_detached_container_exec_sees_its_hostname_and_files(cli: ContainerCLI) -> None:
    container_id = cli.ok(
        "container", "run", "-d", "--name", "box", "--hostname", "box1", "-e", "GREETING=hi",
        "-w", "/tmp", "busybox", "sh", "-c", "echo made > /tmp/made; sleep 1000",
    ).strip()  # fmt: skip
    assert len(container_id) == 64
    listing = cli.ok("container", "ps").splitlines()
    assert listing[0].split()[:2] == ["CONTAINER", "ID"]
    assert listing[1].startswith(container_id[:12]) and listing[1].split()[-1] == "box"
    assert "Up " in listing[1]
    assert cli.ok("container", "exec", "box", "hostname") == "box1\n"
    assert cli.ok("container", "exec", container_id[:8], "cat", "/etc/hostname") == "box1\n"
    assert cli.ok("container", "exec", "box", "cat", "/tmp/made") == "made\n"
    assert cli.ok("container", "exec", "box", "pwd") == "/tmp\n"
    assert cli.ok("container", "exec", "box", "sh", "-c", "echo $GREETING") == "hi\n"
    assert (
        cli.ok("container", "exec", "-e", "GREETING=yo", "box", "sh", "-c", "echo $GREETING")
        == "yo\n"
    )
    assert (
        cli.ok("container", "exec", "-u", "nobody", "-w", "/", "box", "sh", "-c", "id -u; pwd")
        == "65534\n/\n"
    )
    assert cli.run("container", "exec", "box", "sh", "-c", "exit 7").returncode == 7
    own_pid = cli.ok("container", "exec", "box", "sh", "-c", "echo $$").strip()
    assert int(own_pid) > 1  # inside the container's PID namespace
    assert cli.ok("container", "exec", "box", "cat", "/proc/1/cmdline") == "sleep\x001000\x00"
    stopped = cli.run("container", "exec", "nope", "true")
    assert stopped.returncode == 1 and stopped.stderr == "pycompose: No such container: nope\n"
    assert cli.ok("container", "stop", "-t", "1", "box") == "box\n"
    state = cli.inspect("box")["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137 and not state["Running"]
    refused = cli.run("container", "exec", "box", "true")
    assert refused.returncode == 1 and "is not running" in refused.stderr
    assert cli.ok("container", "rm", "box") == "box\n"


def test_stop_uses_the_stop_signal_and_kill_sends_signals(cli: ContainerCLI) -> None:
    script = (
        "trap 'echo got-usr1' USR1; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"
    )
    cli.ok("container", "run", "-d", "--name", "traps", "busybox", "sh", "-c", script)
    time.sleep(0.3)
    assert cli.ok("container", "kill", "-s", "USR1", "traps") == "traps\n"
    deadline = time.monotonic() + 10
    while "got-usr1" not in cli.ok("container", "logs", "traps") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cli.inspect("traps")["State"]["Running"]
    started = time.monotonic()
    cli.ok("container", "stop", "traps")
    assert time.monotonic() - started < 5  # TERM was handled, no 10 s grace period
    assert cli.inspect("traps")["State"]["ExitCode"] == 0
    assert cli.ok("container", "logs", "traps") == "got-usr1\nbye\n"
    cli.ok("container", "start", "traps")
    cli.ok("container", "kill", "traps")
    assert cli.inspect("traps")["State"]["ExitCode"] == 137
    removed = cli.run("container", "rm", "traps", "missing")
    assert removed.returncode == 1 and removed.stdout == "traps\n"
    assert "No such container: missing" in removed.stderr


def test_rm_of_a_running_container_needs_force(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "busy", "busybox", "sleep", "1000")
    refused = cli.run("container", "rm", "busy")
    assert refused.returncode == 1
    assert (
        "container is running: stop the container before removing or force remove" in refused.stderr
    )
    assert cli.ok("container", "rm", "-f", "busy") == "busy\n"
    assert cli.ok("container", "ps", "-aq") == ""
    assert cli.residue() == []


def test_pause_freezes_the_processes(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "counter", "busybox", "sh", "-c",
           "i=0; while true; do i=$((i+1)); echo $i > /tmp/m; mv /tmp/m /tmp/n; sleep 0.05; done")  # fmt: skip
    time.sleep(0.3)
    cli.ok("container", "pause", "counter")
    assert "(Paused)" in cli.ok("container", "ps")
    assert cli.inspect("counter")["State"]["Paused"] is True
    frozen = cli.run("container", "exec", "counter", "cat", "/tmp/n")
    assert frozen.returncode == 1 and "is paused" in frozen.stderr
    cgroup = cli.inspect("counter")["HostConfig"]["Cgroup"]
    with open(f"/sys/fs/cgroup/freezer{cgroup}/freezer.state") as state:
        assert state.read().strip() == "FROZEN"
    cli.ok("container", "unpause", "counter")
    first = int(cli.ok("container", "exec", "counter", "cat", "/tmp/n"))
    time.sleep(0.3)
    assert int(cli.ok("container", "exec", "counter", "cat", "/tmp/n")) > first
    cli.ok("container", "rm", "-f", "counter")


def test_inspect_in_docker_shape_and_go_templates(cli: ContainerCLI) -> None:
    cli.ok(
        "container", "create", "--name", "shape", "--label", "tier=web", "--label", "k=v",
        "-v", "/data", "--restart", "on-failure:3", "-m", "64m", "busybox", "sleep", "30",
    )  # fmt: skip
    data = cli.inspect("shape")
    assert data["Name"] == "/shape" and data["State"]["Status"] == "created"
    assert data["Config"]["Cmd"] == ["sleep", "30"] and data["Config"]["Labels"] == {
        "tier": "web",
        "k": "v",
    }
    assert data["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert data["HostConfig"]["Memory"] == 64 * 1024 * 1024
    assert [m["Destination"] for m in data["Mounts"]] == ["/data"] and data["Mounts"][0][
        "Type"
    ] == "volume"
    assert data["GraphDriver"]["Data"]["UpperDir"].endswith("/upper")
    assert data["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
    cli.ok("container", "start", "shape")

    def fmt(template: str) -> str:
        return cli.ok("container", "inspect", "--format", template, "shape").rstrip("\n")

    pid = fmt("{{ .State.Pid }}")
    assert int(pid) > 1 and Path(f"/proc/{pid}/cmdline").read_text().startswith("sleep")
    assert json.loads(fmt("{{json .Config}}"))["Cmd"] == ["sleep", "30"]
    assert fmt("{{range .Mounts}}{{.Destination}}{{end}}") == "/data"
    assert fmt('{{index .Config.Labels "tier"}}') == "web"
    assert fmt("{{.NetworkSettings.IPAddress}}").startswith("10.")
    assert fmt("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}") == "k=v;tier=web;"
    assert fmt("{{if .State.Running}}up{{else}}down{{end}}") == "up"
    assert fmt("{{.Name}}") == "/shape"
    assert cli.ok("container", "ps", "--format", "{{.Names}} {{.State}}") == "shape running\n"
    assert cli.ok("container", "ps", "-q", "--filter", "label=tier=web") == data["Id"][:12] + "\n"
    assert cli.ok("container", "ps", "-q", "--filter", "label=tier=db") == ""
    bad = cli.run("container", "inspect", "--format", "{{.State.Pid", "shape")
    assert bad.returncode == 1 and "template" in bad.stderr
    cli.ok("container", "rm", "-f", "-v", "shape")


def test_crun_runs_the_same_container(cli: ContainerCLI) -> None:
    result = cli.run(
        "container", "run", "--rm", "--runtime", "crun", "busybox", "sh", "-c", "hostname; exit 2"
    )
    assert result.returncode == 2 and len(result.stdout.strip()) == 12, result.stderr
    cli.ok(
        "container",
        "run",
        "-d",
        "--runtime",
        "crun",
        "--name",
        "viacrun",
        "busybox",
        "sleep",
        "1000",
    )
    assert cli.inspect("viacrun")["HostConfig"]["Runtime"] == "crun"
    assert cli.ok("container", "exec", "-u", "app", "viacrun", "id", "-u") == "1000\n"
    assert cli.run("container", "exec", "viacrun", "sh", "-c", "exit 9").returncode == 9
    cli.ok("container", "pause", "viacrun")
    cli.ok("container", "unpause", "viacrun")
    cli.ok("container", "stop", "-t", "0", "viacrun")
    assert cli.inspect("viacrun")["State"]["ExitCode"] == 137
    cli.ok("container", "rm", "viacrun")
    assert cli.residue() == []


def test_a_run_whose_client_never_attaches_can_be_removed(cli: ContainerCLI) -> None:
    from runtime.containers.model import ContainerRequest
    from runtime.containers.spec import ContainerSpec
    from runtime.engine import Engine
    from runtime.store import Store

    containers = Engine(Store(cli.layout)).containers
    made = containers.create(
        ContainerRequest(ContainerSpec(name="lonely", command=("true",)), "busybox")
    )
    containers.start(made.id, attach=True)  # the monitor waits for a client that never comes
    assert containers.get(made.id).state.status == "created"
    started = time.monotonic()
    assert cli.ok("container", "rm", "lonely") == "lonely\n"
    assert time.monotonic() - started < 10
    assert cli.residue() == []
