"""Forking the container process: join the cgroup and namespaces, fork into the PID namespace.

    caller ──fork──▶ intermediate: PR_SET_DUMPABLE 0, join cgroup, setns, unshare
                          └──fork──▶ init: PID 1 of the new PID namespace (init.py)

The intermediate reports the init's pid and exits; the init is then reparented
to the nearest child subreaper, which the embedded runtime makes the calling
process, so it can wait for the container like for any child. Both forks are
plain fork(2) of the calling interpreter: no Python start-up per container.
"""

from __future__ import annotations

import functools
import json
import os
import select
import time
from collections.abc import Callable
from typing import Any

from runtime.errors import EngineError
from runtime.linux import process
from runtime.oci.init import fail, report

READY_TIMEOUT = 60.0


class LaunchError(EngineError):
    """The container process could not be set up."""


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    return os.path.exists(f"/proc/{pid}")


class _Lines:
    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""

    def read(self, watch: Callable[[], bool], timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LaunchError("the container process did not report within the time limit")
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.5))
            if not ready:
                if not watch():
                    return None
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message


def spawn(join: Callable[[], None], child: Callable[[int], None]) -> int:
    """Fork, `join` (cgroup and namespaces) in the intermediate, run `child(sync_fd)` in the init.

    Returns the init's pid once it has reported that it is ready; raises
    LaunchError with the child's message if any step failed.
    """
    sync_r, sync_w = os.pipe2(os.O_CLOEXEC)
    intermediate = os.fork()
    if intermediate == 0:
        try:
            os.close(sync_r)
            # Before anything of the container can see this process (see process.py).
            process.set_dumpable(False)
            join()
            init_pid = os.fork()
            if init_pid == 0:
                child(sync_w)
                os._exit(127)
            report(sync_w, pid=init_pid)
            os._exit(0)
        except BaseException as exc:
            fail(sync_w, exc)
        os._exit(1)
    os.close(sync_w)
    lines = _Lines(sync_r)
    pid: int | None = None
    try:
        # The init may report "ready" before the intermediate reports its pid.
        ready = False
        while pid is None or not ready:
            watched = pid if pid is not None else intermediate
            message = lines.read(functools.partial(_alive, watched), READY_TIMEOUT)
            if message is None or "error" in message:
                raise LaunchError(str(message["error"]) if message else "container setup failed")
            if "pid" in message:
                pid = int(message["pid"])
            ready = ready or bool(message.get("ready"))
        return pid
    except BaseException:
        if pid is not None:
            _reap(pid)
        raise
    finally:
        os.close(sync_r)
        _reap(intermediate)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
