"""The monitor: one small process per running container, its parent for as long as it runs.

Started detached (its own session) by `launcher.spawn_monitor`, already a
child subreaper, with `python -S`: it imports the standard library and a few
modules of this package, never the engine's heavier parts (those run in
forked helpers, see helpers.py). It

- owns the container's stdio: pipes (or the pty master of a terminal), drained
  into the json-file log and relayed to attach clients; stdin from them;
- records start, exit code, finish time and OOM kills in the store, with events;
- applies the restart policy with Docker's back-off;
- runs the healthcheck and stores its status and last results;
- at the end runs the exit command (network release, `--rm`) unless the
  caller that stopped the container said it cleans up itself.

If it is killed the container keeps running; the engine then reports from
the store and /proc (see the manager's state reconciliation).
"""

from __future__ import annotations

import _signal
import _socket
import marshal
import os
import select
import sys
import time

from runtime.containers import records
from runtime.containers.monitor import channels, helpers, protocol
from runtime.containers.monitor.logfile import open_log
from runtime.containers.monitor.policies import HealthProbeResult, HealthTracker, Restarts
from runtime.containers.monitor.relay import Clients
from runtime.containers.timestamps import format_timestamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

READ_SIZE = 65536
POLL_IN = select.POLLIN | select.POLLHUP | select.POLLERR


def start_time(pid: int | str) -> int:
    """Field 22 of /proc/PID/stat: when the process started, to recognise it later."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        data = handle.read()
    return int(data[data.rindex(b")") + 2 :].split()[19])


def exit_code_of(wait_status: int) -> int:
    """Docker's exit code: the status, or 128 + the signal that ended the process."""
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status)


def launch_exit_code(message: str) -> int:
    """Docker's codes for a process that could not start: 127 not found, 126 not runnable."""
    lowered = message.lower()
    if "not found" in lowered or "no such file" in lowered:
        return 127
    if "permission denied" in lowered or "not a directory" in lowered:
        return 126
    return 128


class Monitor:
    """The loop of one container's monitor."""

    def __init__(self, config: dict[str, Any], handshake: int, fds: dict[str, int]):
        self.config = config
        self.id: str = config["id"]
        self.handshake = handshake
        self.conn = records.connect(config["database"])
        self.log = open_log(
            config["log_driver"], config["log_path"], config["log_max_size"], config["log_max_file"]
        )
        self.poll = select.poll()
        self.handlers: dict[int, Any] = {}
        self.restarts = Restarts(config["restart"], config["restart_max"], config["restart_count"])
        self.health_plan: dict[str, Any] | None = config.get("health")
        self.health: HealthTracker | None = None
        self.probe: helpers.Probe | None = None
        self.probe_due: float | None = None
        self.restart_at: float | None = None
        self.stop_requested = False
        self.caller_cleans = False
        self.paused = False
        self.waiting_go = False
        self.done = False
        self.pid = 0
        self.pidfd = -1
        self.started = 0.0
        self.master = -1
        self.tty: bool = config["tty"]
        self._stdio(fds)
        # The first launch helper, forked by the launcher, is already creating the container.
        self.first_launch: helpers.Launch | None = helpers.Launch(
            fds["launch_pid"], fds["launch_report"], fds["launch_go"]
        )
        self.clients = Clients(self)
        self.server = protocol.listen(config["attach_socket"])
        self.watch(self.server.fileno(), self.clients.accept)

    # -- plumbing --------------------------------------------------------------------------

    def _stdio(self, fds: dict[str, int]) -> None:
        self.fds = fds
        self.devnull = fds["devnull"]
        self.out_r, self.out_w = fds["out_r"], fds["out_w"]
        self.err_r, self.err_w = fds["err_r"], fds["err_w"]
        self.stdin_r, self.stdin_w = fds["stdin_r"], fds["stdin_w"]
        if self.tty:
            self.console_local = _socket.socket(
                _socket.AF_UNIX, _socket.SOCK_STREAM, 0, fds["console_local"]
            )
            self.console_remote = _socket.socket(
                _socket.AF_UNIX, _socket.SOCK_STREAM, 0, fds["console_remote"]
            )
        else:
            self.watch(self.out_r, self.on_output)
            self.watch(self.err_r, self.on_output)

    def watch(self, fd: int, handler: Any, events: int = POLL_IN) -> None:
        self.handlers[fd] = handler
        self.poll.register(fd, events)

    def unwatch(self, fd: int) -> None:
        if self.handlers.pop(fd, None) is not None:
            self.poll.unregister(fd)

    def say(self, **message: Any) -> None:
        """A line to whoever started the monitor (until it stops listening)."""
        if self.handshake < 0:
            return
        protocol.write_frame(self.handshake, message)
        if "created" not in message:
            os.close(self.handshake)
            self.handshake = -1

    def record(self, fields: dict[str, Any], events: list[tuple[str, dict[str, str]]]) -> None:
        try:
            records.write(
                self.conn,
                self.config["bell"],
                self.id,
                fields,
                [(action, {**self.config["labels"], **extra}) for action, extra in events],
                name=self.config["name"],
                image=self.config["image"],
            )
        except Exception as exc:
            print(f"monitor: cannot record {sorted(fields)}: {exc}", file=sys.stderr, flush=True)

    def stop_was_requested(self) -> bool:
        if self.stop_requested:
            return True
        try:
            row = records.read(self.conn, self.id)
        except Exception:
            return False
        return bool(row is None or row["stop_requested"])

    # -- starting --------------------------------------------------------------------------

    def launch(self, first: bool) -> bool:
        """Create and start the container; False (recorded) if it could not start."""
        launch, self.first_launch = self.first_launch, None
        if launch is None:
            stdio, console = channels.launch_stdio(self.fds, self.tty)
            launch = helpers.Launch.fork(self.config, stdio, console)
        try:
            message = launch.reports.read(120.0) or {"error": "the runtime gave no answer"}
            if "created" in message and self.tty:
                self._take_console()
            if "created" in message and first and self.config["attach_wait"]:
                self.say(created=message["created"])
                self.waiting_go = True
                deadline = time.monotonic() + 60
                while self.waiting_go and time.monotonic() < deadline and not self.stop_requested:
                    self.step(1.0)
                if self.stop_requested:  # stopped or removed before anyone attached
                    return False  # the helper, never told to go, deletes what it created
            if "created" in message:
                launch.go()
                message = launch.reports.read(120.0) or {"error": "the runtime gave no answer"}
        finally:
            launch.finish()
        if "error" in message:
            error = str(message["error"])
            code = launch_exit_code(error)
            self.record(
                {
                    "status": "exited" if not first else "created",
                    "error": error,
                    "exit_code": code,
                    "pid": 0,
                    "finished_at": format_timestamp(),
                    "cleanup_pending": 1,
                },
                [("die", {"exitCode": str(code)})] if not first else [],
            )
            self.say(error=error, exit_code=code)
            return False
        self.pid = int(message["started"])
        self.pidfd = os.pidfd_open(self.pid)
        self.watch(self.pidfd, self.on_exit)
        self.started = time.monotonic()
        fields: dict[str, Any] = {
            "status": "running",
            "pid": self.pid,
            "pid_start": start_time(self.pid),
            "monitor_pid": os.getpid(),
            "monitor_start": start_time("self"),
            "started_at": format_timestamp(),
            "error": "",
            "exit_code": 0,
            "oom_killed": 0,
            "cleanup_pending": 0,
            "restart_count": self.restarts.count,
        }
        if self.health_plan:
            self.health = HealthTracker(self.health_plan, self.started)
            self.probe_due = self.started + self.health.wait_before_probe(self.started)
            fields.update(health_status="starting", health_failing=0, health_log="[]")
        self.record(fields, [("start", {})])
        self.say(pid=self.pid)
        return True

    def _take_console(self) -> None:
        if self.master >= 0:
            self.unwatch(self.master)
            os.close(self.master)
        self.console_local.settimeout(30)
        _, ancillary, _, _ = self.console_local.recvmsg(1024, _socket.CMSG_SPACE(4))
        fds = [
            int.from_bytes(data[:4], sys.byteorder)
            for level, kind, data in ancillary
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS
        ]
        if not fds:
            raise OSError("the runtime sent no terminal")
        self.master = fds[0]
        os.set_blocking(self.master, False)
        os.set_inheritable(self.master, False)
        self.watch(self.master, self.on_output)

    # -- the loop --------------------------------------------------------------------------

    def step(self, timeout: float) -> None:
        for fd, events in self.poll.poll(max(0, int(timeout * 1000))):
            handler = self.handlers.get(fd)
            if handler is not None:
                handler(fd, events)
        now = time.monotonic()
        if self.restart_at is not None and now >= self.restart_at:
            self.restart_at = None
            self.relaunch()
        if (
            self.probe_due is not None
            and now >= self.probe_due
            and self.probe is None
            and self.pid
            and not self.paused
            and self.health is not None
        ):
            self.probe_due = None
            self.probe = helpers.Probe(self.config, self.config["health_argv"], self.health.timeout)
            self.watch(self.probe.reports.fd, self.on_probe)

    def next_timeout(self) -> float:
        moments = [m for m in (self.restart_at, self.probe_due) if m is not None]
        if not moments:
            return 3600.0
        return max(0.0, min(moments) - time.monotonic())

    def run(self) -> None:
        # Known from the start, so a stop or removal before the process runs can find us.
        self.record({"monitor_pid": os.getpid(), "monitor_start": start_time("self")}, [])
        if not self.launch(first=True):
            self.finish(run_exit_command=False)
            return
        while not self.done:
            self.step(self.next_timeout())

    # -- events ----------------------------------------------------------------------------

    def on_output(self, fd: int, events: int) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # EIO: the terminal's last holder closed it
        if not data:
            self.unwatch(fd)
            return
        stream = "stderr" if fd == self.err_r else "stdout"
        self.log.write(stream, data)
        self.clients.broadcast(protocol.STDERR if fd == self.err_r else protocol.STDOUT, data)

    def drain(self) -> None:
        for fd in (self.out_r, self.err_r, self.master):
            if fd >= 0 and fd in self.handlers:
                for _ in range(1024):
                    try:
                        data = os.read(fd, READ_SIZE)
                    except OSError:
                        break
                    if not data:
                        break
                    stream = "stderr" if fd == self.err_r else "stdout"
                    self.log.write(stream, data)
                    self.clients.broadcast(
                        protocol.STDERR if fd == self.err_r else protocol.STDOUT, data
                    )
        self.log.flush()

    def on_exit(self, fd: int, poll_events: int) -> None:
        self.unwatch(self.pidfd)
        os.close(self.pidfd)
        self.pidfd = -1
        try:
            _, status = os.waitpid(self.pid, 0)
            code = exit_code_of(status)
        except ChildProcessError:
            code = 255
        self.drain()
        oom = self._oom_killed()
        helpers.delete(self.config)
        self.pid = 0
        self.health = None
        self.probe_due = None
        if self.probe is not None:
            self.unwatch(self.probe.reports.fd)
            self.probe.result()
            self.probe = None
        ran_for = time.monotonic() - self.started
        delay = self.restarts.next_delay(code, ran_for, self.stop_was_requested())
        events: list[tuple[str, dict[str, str]]] = [("oom", {})] if oom else []
        events.append(("die", {"exitCode": str(code)}))
        fields: dict[str, Any] = {
            "exit_code": code,
            "finished_at": format_timestamp(),
            "oom_killed": int(oom),
            "pid": 0,
        }
        if delay is None:
            fields.update(status="exited", cleanup_pending=1)
            self.record(fields, events)
            self.clients.broadcast(protocol.EXITED, str(code).encode())
            self.finish(run_exit_command=not self.caller_cleans)
        else:
            fields.update(status="restarting")
            self.record(fields, events)
            self.restart_at = time.monotonic() + delay

    def _oom_killed(self) -> bool:
        try:
            with open(self.config["oom_file"]) as handle:
                for line in handle:
                    name, _, value = line.partition(" ")
                    if name == "oom_kill":
                        return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def relaunch(self) -> None:
        if self.stop_was_requested():
            self.record({"status": "exited", "cleanup_pending": 1}, [])
            self.finish(run_exit_command=not self.caller_cleans)
            return
        self.restarts.count += 1
        if not self.launch(first=False):
            self.finish(run_exit_command=True)

    def on_probe(self, fd: int, events: int) -> None:
        probe, self.probe = self.probe, None
        self.unwatch(fd)
        if probe is None or self.health is None:
            return
        message = probe.result()
        result = HealthProbeResult(
            message["start"], message["end"], int(message["exit_code"]), message["output"]
        )
        now = time.monotonic()
        changed = self.health.record(result, now)
        self.record(
            {
                "health_status": self.health.status,
                "health_failing": self.health.failing,
                "health_log": records.dumps(self.health.log_json()),
            },
            [(f"health_status: {self.health.status}", {})] if changed else [],
        )
        self.probe_due = now + self.health.wait_before_probe(now)

    def request_stop(self) -> None:
        """A caller stops the container and cleans up after it: no restart, no exit command."""
        self.stop_requested = True
        self.caller_cleans = True
        if self.restart_at is not None:
            self.restart_at = time.monotonic()

    # -- the end ---------------------------------------------------------------------------

    def finish(self, run_exit_command: bool) -> None:
        self.done = True
        self.clients.close_all()
        self.log.close()
        command = self.config.get("exit_command")
        if run_exit_command and command:
            pid = os.fork()
            if pid == 0:
                try:
                    os.execv(command[0], command)
                finally:
                    os._exit(127)
            os.waitpid(pid, 0)


def main(argv: list[str]) -> None:
    """`monitor.conf` path, the handshake descriptor and the inherited ones (channels.py)."""
    for number in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT):
        _signal.signal(number, _signal.SIG_IGN)
    with open(argv[0], "rb") as handle:
        config = marshal.load(handle)
    handshake = int(argv[1])
    try:
        monitor = Monitor(config, handshake, channels.decode(argv[2]))
    except Exception as exc:
        protocol.write_frame(handshake, {"error": f"monitor: {exc}"})
        raise
    monitor.run()
