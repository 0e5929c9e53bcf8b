"""Starting a container's monitor, detached from the command that asks for it.

    caller ──fork──▶ child: setsid ──fork──▶ grandchild: child subreaper, stdio to
                     (exits at once)           monitor.log, the container's channels,
                                               ──fork──▶ first launch helper (OCI create)
                                               execve `python -S -E -B -c ...` (the monitor)

The grandchild is reparented away from the caller at once, so a monitor is
never a zombie of a long-lived caller and survives the caller's exit. The
child-subreaper attribute survives execve, so the monitor becomes the parent
of the container processes it starts without loading ctypes. The first
launch helper is a fork of the caller, which has the OCI runtime code loaded
already: it creates the container while the monitor's interpreter starts,
and stays the monitor's child across execve (see monitor/channels.py). The monitor reports
over a pipe, in marshal frames: `{"created": pid}` (when asked to wait for an attach client),
then `{"pid": pid}` once the process runs, or `{"error": ..., "exit_code": n}`.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import runtime
from runtime.containers.errors import ContainerError
from runtime.containers.monitor import channels
from runtime.containers.monitor.helpers import Launch
from runtime.containers.monitor.protocol import Frames
from runtime.linux.process import set_child_subreaper

BOOT = (
    "import sys; sys.path[:0] = [{path!r}]; "
    "from runtime.containers.monitor.main import main; main(sys.argv[1:])"
)
START_TIMEOUT = 180.0


def package_root() -> str:
    """The directory holding the `runtime` package (the monitor's only sys.path entry)."""
    return str(Path(runtime.__file__).resolve().parent.parent)


def monitor_argv(config_path: Path, handshake: int, inherited: str) -> list[str]:
    """The monitor's command line: a bare interpreter, no site-packages, no PYTHON* variables."""
    boot = BOOT.format(path=package_root())
    return [
        sys.executable,
        "-S",
        "-E",
        "-B",
        "-c",
        boot,
        str(config_path),
        str(handshake),
        inherited,
    ]


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write the monitor's configuration atomically (marshal: the monitor loads no json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(marshal.dumps(config))
    os.replace(temporary, path)


class MonitorStart:
    """The caller's end of a starting monitor's report pipe."""

    def __init__(self, fd: int, log: Path):
        self.frames = Frames(fd)
        self.log = log

    def read(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        """The monitor's next report; ContainerError if it died without one."""
        started = time.monotonic()
        message = self.frames.read(timeout)
        if message is None:
            if time.monotonic() - started >= timeout:
                raise ContainerError("the container monitor did not report in time")
            raise ContainerError(f"the container monitor failed: {self._last_words()}")
        return message

    def _last_words(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return lines[-1] if lines else "no output"

    def close(self) -> None:
        self.frames.close()


def spawn_monitor(config_path: Path, log_path: Path) -> MonitorStart:
    """Start a detached monitor for the container described by `config_path`."""
    import runtime.containers.runtimes  # noqa: F401  loaded once here, for every launch helper

    config = marshal.loads(config_path.read_bytes())
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            _become_monitor(config, config_path, log_path, write_end)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(127)
    os.close(write_end)
    os.waitpid(pid, 0)
    return MonitorStart(read_end, log_path)


def _become_monitor(
    config: dict[str, Any], config_path: Path, log_path: Path, handshake: int
) -> None:
    """In the detached grandchild: fork the first launch helper, then execute the monitor.

    This process is a fork of the caller, which may run other threads: it
    drops every descriptor it does not need (another thread's pipes or lock
    files must not live on in a monitor or a container), takes fresh standard
    streams, and never collects the caller's garbage.
    """
    gc.disable()
    os.closerange(3, handshake)
    os.closerange(handshake + 1, os.sysconf("SC_OPEN_MAX"))
    set_child_subreaper()
    null = os.open("/dev/null", os.O_RDONLY)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115  the caller's may be locked
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    os.chdir("/")
    fds = channels.open_channels(config)
    stdio, console = channels.launch_stdio(fds, config["tty"])
    monitor_ends = tuple(fds[name] for name in channels.MONITOR_ENDS if fds[name] >= 0)
    launch = Launch.fork(config, stdio, console, (handshake, *monitor_ends))
    fds.update(launch_pid=launch.pid, launch_report=launch.reports.fd, launch_go=launch.go_w)
    argv = monitor_argv(config_path, handshake, channels.encode(fds))
    os.set_inheritable(handshake, True)
    os.execv(argv[0], argv)
