"""What each container's monitor does: logs with rotation, restart policies, healthchecks,
and what happens when the monitor itself is killed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from runtime.oci.state import process_start_time
from tests.support.containers import ContainerCLI, monitor_pids


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is not)."""
    return process_start_time(pid) is not None


def wait_dead(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_log_lines_stay_in_order_across_rotations(cli: ContainerCLI) -> None:
    cli.ok(
        "container", "run", "-d", "--name", "chatty", "--log-opt", "max-size=1k",
        "--log-opt", "max-file=3", "busybox", "sh", "-c", "seq 1 400; echo oops >&2",
    )  # fmt: skip
    cli.ok("container", "wait", "chatty")
    log_path = Path(cli.inspect("chatty")["LogPath"])
    assert sorted(
        p.name[len(log_path.name) :] for p in log_path.parent.glob(log_path.name + "*")
    ) == ["", ".1", ".2"]
    assert all(p.stat().st_size < 1300 for p in log_path.parent.glob(log_path.name + "*"))
    result = cli.run("container", "logs", "chatty")
    numbers = [int(line) for line in result.stdout.split()]
    assert (
        numbers == list(range(numbers[0], 401)) and numbers[0] > 1
    )  # the oldest were rotated away
    assert result.stderr == "oops\n"
    tail = cli.run("container", "logs", "--tail", "3", "chatty")
    assert (tail.stdout, tail.stderr) == ("399\n400\n", "oops\n")
    stamped = cli.run("container", "logs", "-t", "--tail", "2", "chatty").stdout
    stamp, _, text = stamped.partition(" ")
    assert text == "400\n" and stamp.endswith("Z") and len(stamp) == 30
    assert cli.ok("container", "logs", "--since", "2099-01-01T00:00:00Z", "chatty") == ""
    cli.ok("container", "rm", "chatty")


def test_logs_follow_until_the_container_stops_and_driver_none(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "slow", "busybox", "sh", "-c",
           "for i in 1 2 3; do echo line$i; sleep 0.3; done")  # fmt: skip
    followed = cli.run("container", "logs", "-f", "slow")
    assert followed.stdout == "line1\nline2\nline3\n"
    cli.ok("container", "rm", "slow")
    cli.ok("container", "run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi")
    refused = cli.run("container", "logs", "quiet")
    assert refused.returncode == 1 and "does not support reading" in refused.stderr
    cli.ok("container", "rm", "quiet")


def test_a_crashed_process_is_restarted_and_a_stopped_one_is_not(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "phoenix", "--restart", "always", "busybox",
           "sh", "-c", "echo up; sleep 1000")  # fmt: skip
    first = cli.inspect("phoenix")["State"]["Pid"]
    os.kill(first, signal.SIGKILL)  # a crash, from outside
    state = cli.wait_until(
        "phoenix", lambda d: d["RestartCount"] == 1 and d["State"]["Status"] == "running"
    )["State"]
    assert state["Pid"] != first and state["Running"]
    assert cli.ok("container", "logs", "phoenix") == "up\nup\n"
    cli.ok("container", "stop", "-t", "1", "phoenix")
    time.sleep(1.5)  # more than the first back-off delays
    data = cli.inspect("phoenix")
    assert data["State"]["Status"] == "exited" and data["RestartCount"] == 1
    cli.ok("container", "rm", "phoenix")


def test_on_failure_gives_up_after_its_retries(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox",
           "sh", "-c", "echo try; exit 4")  # fmt: skip
    data = cli.wait_until(
        "flaky", lambda d: d["State"]["Status"] == "exited" and d["RestartCount"] == 2
    )
    assert data["State"]["ExitCode"] == 4
    time.sleep(1)
    assert cli.inspect("flaky")["RestartCount"] == 2
    assert cli.ok("container", "logs", "flaky") == "try\ntry\ntry\n"
    cli.ok("container", "run", "-d", "--name", "fine", "--restart", "on-failure", "busybox", "true")
    cli.ok("container", "wait", "fine")
    time.sleep(0.5)
    assert cli.inspect("fine")["RestartCount"] == 0
    cli.ok("container", "rm", "flaky", "fine")


def test_health_goes_starting_healthy_unhealthy(cli: ContainerCLI) -> None:
    cli.ok(
        "container", "run", "-d", "--name", "doc", "--health-cmd", "cat /tmp/ok",
        "--health-interval", "200ms", "--health-retries", "2", "--health-timeout", "2s",
        "--health-start-period", "60s", "--health-start-interval", "200ms",
        "busybox", "sleep", "1000",
    )  # fmt: skip
    # Failures in the start period do not count: it stays "starting" until a success.
    cli.wait_until("doc", lambda d: len(d["State"]["Health"]["Log"]) >= 2)
    assert cli.inspect("doc")["State"]["Health"]["Status"] == "starting"
    assert "(health: starting)" in cli.ok("container", "ps")
    cli.ok("container", "exec", "doc", "sh", "-c", "echo fine > /tmp/ok")
    health = cli.wait_until("doc", lambda d: d["State"]["Health"]["Status"] == "healthy")
    last = health["State"]["Health"]["Log"][-1]
    assert last["ExitCode"] == 0 and last["Output"] == "fine\n"
    assert "(healthy)" in cli.ok("container", "ps")
    cli.ok("container", "exec", "doc", "rm", "/tmp/ok")
    sick = cli.wait_until("doc", lambda d: d["State"]["Health"]["Status"] == "unhealthy")
    assert sick["State"]["Health"]["FailingStreak"] >= 2
    assert "No such file or directory" in sick["State"]["Health"]["Log"][-1]["Output"]
    assert len(sick["State"]["Health"]["Log"]) <= 5
    events = cli.ok("container", "inspect", "-f", "{{.Config.Healthcheck.Test}}", "doc")
    assert events == "[CMD-SHELL cat /tmp/ok]\n"
    cli.ok("container", "rm", "-f", "doc")


def test_health_timeout_and_start_period(cli: ContainerCLI) -> None:
    cli.ok(
        "container", "run", "-d", "--name", "stuck", "--health-cmd", "sleep 5",
        "--health-interval", "100ms", "--health-timeout", "300ms", "--health-retries", "1",
        "--health-start-period", "1s", "--health-start-interval", "100ms", "busybox", "sleep", "1000",
    )  # fmt: skip
    data = cli.wait_until("stuck", lambda d: d["State"]["Health"]["Status"] == "unhealthy")
    assert data["State"]["Health"]["Log"][-1]["Output"] == "Health check exceeded timeout (0.3s)"
    assert data["State"]["Health"]["Log"][-1]["ExitCode"] == -1
    cli.ok("container", "rm", "-f", "stuck")


def test_a_killed_monitor_leaves_the_truth_and_stop_and_rm_work(cli: ContainerCLI) -> None:
    container_id = cli.ok(
        "container", "run", "-d", "--name", "orphan", "busybox", "sleep", "1000"
    ).strip()
    pid = cli.inspect("orphan")["State"]["Pid"]
    [monitor] = monitor_pids(cli.layout, container_id)
    os.kill(monitor, signal.SIGKILL)
    wait_dead(monitor)
    assert alive(pid), "the container must outlive its monitor"
    assert "Up " in cli.ok("container", "ps", "--filter", "name=orphan")
    state = cli.inspect("orphan")["State"]
    assert state["Running"] and state["Pid"] == pid and "monitor is gone" in state["Error"]
    assert cli.ok("container", "exec", "orphan", "echo", "still") == "still\n"
    started = time.monotonic()
    cli.ok("container", "stop", "-t", "1", "orphan")
    assert time.monotonic() - started < 8
    assert not alive(pid)
    state = cli.inspect("orphan")["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137 and not state["Running"]
    cli.ok("container", "rm", "orphan")
    assert cli.residue() == []


def test_a_killed_monitor_with_a_finished_container_reads_as_exited(cli: ContainerCLI) -> None:
    container_id = cli.ok(
        "container", "run", "-d", "--name", "gone", "busybox", "sleep", "1000"
    ).strip()
    pid = cli.inspect("gone")["State"]["Pid"]
    [monitor] = monitor_pids(cli.layout, container_id)
    os.kill(monitor, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)
    wait_dead(pid)
    state = cli.inspect("gone")["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 255 and "unknown" in state["Error"]
    assert "Exited (255)" in cli.ok("container", "ps", "-a", "--filter", "name=gone")
    cli.ok("container", "start", "gone")
    assert cli.inspect("gone")["State"]["Running"]
    cli.ok("container", "rm", "-f", "gone")
    assert cli.residue() == []


def test_oom_kill_is_reported_and_detached_rm_removes_itself(cli: ContainerCLI) -> None:
    result = cli.run("container", "run", "--name", "hungry", "-m", "16m", "--memory-swap", "16m",
                     "busybox", "sh", "-c", "a=$(head -c 200000000 /dev/zero | tr '\\0' x); echo $a")  # fmt: skip
    assert result.returncode == 137
    state = cli.inspect("hungry")["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    cli.ok("container", "rm", "hungry")
    container_id = cli.ok("container", "run", "-d", "--rm", "busybox", "true").strip()
    deadline = time.monotonic() + 20
    while container_id[:12] in cli.ok("container", "ps", "-aq") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert container_id[:12] not in cli.ok("container", "ps", "-aq")
    assert cli.residue() == []


def test_init_and_read_only_root(cli: ContainerCLI) -> None:
    result = cli.run("container", "run", "--rm", "--init", "--read-only", "--tmpfs", "/scratch",
                     "busybox", "sh", "-c",
                     "cat /proc/1/cmdline | tr '\\0' ' '; echo; touch /x || echo ro; touch /scratch/y && echo rw")  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0].startswith("/dev/init -- sh"), result.stderr
    assert lines[1:] == ["ro", "rw"]
