"""Short-lived children of the monitor that do its heavy work, so the monitor itself stays small.

The OCI runtime code (plans, seccomp, cgroups, namespaces) is used only in
these forked children: the monitor's own memory never holds it. A child
reports on a pipe, one frame per message, and exits.

- `Launch`: create the container, wait for "go", start it. The first one of
  a monitor is forked by the launcher before the monitor starts (see
  channels.py), later ones (restarts) by the monitor. The runtime makes
  the child a subreaper, so the container's first process is its child; when
  the child exits, the process is reparented to the monitor (a subreaper too),
  which can then wait for it.
- `Probe`: one healthcheck command through the runtime's exec, with its
  output and a time limit.
- `delete`: the runtime's delete (cgroup and state), waited for.
"""

from __future__ import annotations

import os
import select
import time

from runtime.containers.monitor.protocol import Frames, write_frame

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

OUTPUT_LIMIT = 4096


def _report(fd: int, **message: Any) -> None:
    write_frame(fd, message)


def _fork(work: Callable[[], None], parent_ends: tuple[int, ...] = ()) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for fd in parent_ends:  # else the helper would never see its pipes' end of file
                os.close(fd)
            work()
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


def _runtime(config: dict[str, Any]) -> Any:
    from pathlib import Path

    from runtime.containers.runtimes import open_runtime

    return open_runtime(config["runtime"], Path(config["state_root"]))


def _launch(
    config: dict[str, Any],
    stdio: tuple[int, int, int],
    console: int | None,
    report: int,
    go: int,
) -> None:
    from pathlib import Path

    container_id = config["id"]
    runtime = _runtime(config)
    try:
        runtime.delete(container_id)  # left over by a run whose monitor was killed
        pid = runtime.create(container_id, Path(config["bundle"]), stdio, console)
    except Exception as exc:
        _report(report, error=str(exc))
        return
    _report(report, created=pid)
    if os.read(go, 1) != b"g":
        runtime.delete(container_id)
        _report(report, error="the container was not started")
        return
    try:
        runtime.start(container_id)
    except Exception as exc:
        runtime.delete(container_id)
        _report(report, error=str(exc))
        return
    _report(report, started=pid)


class Launch:
    """A helper that creates the container, then starts it when told."""

    def __init__(self, pid: int, report_r: int, go_w: int):
        self.pid = pid
        self.go_w = go_w
        self.reports = Frames(report_r)

    @classmethod
    def fork(
        cls,
        config: dict[str, Any],
        stdio: tuple[int, int, int],
        console: int | None,
        close: tuple[int, ...] = (),
    ) -> Launch:
        """Fork the helper; it closes `close` (descriptors only its parent may hold) first."""
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        go_r, go_w = os.pipe2(os.O_CLOEXEC)
        pid = _fork(
            lambda: _launch(config, stdio, console, report_w, go_r), (report_r, go_w, *close)
        )
        os.close(report_w)
        os.close(go_r)
        return cls(pid, report_r, go_w)

    def go(self) -> None:
        os.write(self.go_w, b"g")

    def finish(self) -> None:
        """Close the pipes and reap the helper (its container process is now the monitor's)."""
        os.close(self.go_w)
        self.reports.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _probe(config: dict[str, Any], argv: list[str], timeout: float, report: int) -> None:
    from runtime.containers.processes import exec_process
    from runtime.containers.timestamps import format_timestamp

    start = format_timestamp()
    runtime = _runtime(config)
    devnull = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    try:
        process = exec_process(config["bundle"], argv)
        handle = runtime.exec(config["id"], process, (devnull, out_w, out_w), None)
    except Exception as exc:
        _report(report, start=start, end=format_timestamp(), exit_code=-1, output=str(exc))
        return
    os.close(out_w)
    pidfd = os.pidfd_open(handle.pid)
    output = b""
    deadline = time.monotonic() + timeout
    exited = False
    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([out_r, pidfd], [], [], remaining)
        if out_r in ready:
            chunk = os.read(out_r, 65536)
            if chunk and len(output) <= OUTPUT_LIMIT:
                output += chunk
            elif not chunk:
                exited = pidfd in select.select([pidfd], [], [], 0)[0]
        if pidfd in ready:
            exited = True
    if not exited:
        os.kill(handle.pid, 9)
        handle.wait()
        text = f"Health check exceeded timeout ({_seconds(timeout)})"
        _report(report, start=start, end=format_timestamp(), exit_code=-1, output=text)
        return
    os.set_blocking(out_r, False)
    try:
        output += os.read(out_r, OUTPUT_LIMIT)
    except BlockingIOError:
        pass
    status = handle.wait()
    _report(
        report,
        start=start,
        end=format_timestamp(),
        exit_code=status.code,
        output=output[:OUTPUT_LIMIT].decode("utf-8", "replace"),
    )


def _seconds(value: float) -> str:
    return f"{value:g}s"


class Probe:
    """A helper running one healthcheck probe; its result arrives on `reports`."""

    def __init__(self, config: dict[str, Any], argv: list[str], timeout: float):
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        self.pid = _fork(lambda: _probe(config, argv, timeout, report_w), (report_r,))
        os.close(report_w)
        self.reports = Frames(report_r)

    def result(self) -> dict[str, Any]:
        """The probe's result (the helper has written it); reaps the helper."""
        message = self.reports.read(5.0) or {
            "start": "",
            "end": "",
            "exit_code": -1,
            "output": "the healthcheck could not run",
        }
        self.reports.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        return message


def delete(config: dict[str, Any]) -> None:
    """The runtime's delete of the container (a helper, waited for)."""
    pid = _fork(lambda: _runtime(config).delete(config["id"], config.get("cgroup")))
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
