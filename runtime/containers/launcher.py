"""Starting a container's monitor, detached from the command that asks for it.

    caller ──fork──▶ child: setsid ──fork──▶ grandchild: child subreaper, stdio to
                     (exits at once)           monitor.log, execve `python -S -E -B -c ...`

The grandchild is reparented away from the caller at once, so a monitor is
never a zombie of a long-lived caller and survives the caller's exit. The
child-subreaper attribute survives execve, so the monitor becomes the parent
of the container processes it starts without loading ctypes. It reports
over a pipe, in marshal frames: `{"created": pid}` (when asked to wait for an attach client),
then `{"pid": pid}` once the process runs, or `{"error": ..., "exit_code": n}`.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from pathlib import Path
from typing import Any

import runtime
from runtime.containers.errors import ContainerError
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


def monitor_argv(config_path: Path, handshake: int) -> list[str]:
    """The monitor's command line: a bare interpreter, no site-packages, no PYTHON* variables."""
    boot = BOOT.format(path=package_root())
    return [sys.executable, "-S", "-E", "-B", "-c", boot, str(config_path), str(handshake)]


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
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    argv = monitor_argv(config_path, write_end)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            set_child_subreaper()
            null = os.open("/dev/null", os.O_RDONLY)
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.set_inheritable(write_end, True)
            os.chdir("/")
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.close(write_end)
    os.waitpid(pid, 0)
    return MonitorStart(read_end, log_path)
