"""`up` in the foreground: every service's output with its prefix until the app stops.

The app runs until all its containers have exited, until one exits with
`--abort-on-container-exit` (or `--exit-code-from`), or until Ctrl-C: the
first Ctrl-C stops the app gracefully (stop signal, grace period), a second
one kills it. Containers that start later (restarts, replicas) are followed.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO, TYPE_CHECKING

from orchestrator import labels as L
from orchestrator.logstream import LogFormat, LogStream, containers_of, prefix_of, print_lines

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine


@dataclass(frozen=True)
class AttachOptions:
    """`--abort-on-container-exit`, `--exit-code-from`, `-t`, `--no-color`, `--timestamps`."""

    abort_on_exit: bool = False
    exit_code_from: str | None = None
    stop_timeout: float | None = None
    color: bool = True
    timestamps: bool = False
    prefix: bool = True


class _Interrupts:
    """Counts Ctrl-C presses while installed; the first asks for a stop, the second for a kill."""

    def __init__(self) -> None:
        self.presses = 0
        self.stop = threading.Event()
        self.kill = threading.Event()
        self._previous: object = None

    def __enter__(self) -> _Interrupts:
        self._previous = signal.signal(signal.SIGINT, self._pressed)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def _pressed(self, signum: int, frame: FrameType | None) -> None:
        self.presses += 1
        if self.presses == 1:
            sys.stderr.write("Gracefully stopping... (press Ctrl+C again to force)\n")
            self.stop.set()
        else:
            self.kill.set()


def run_attached(
    engine: Engine,
    project: str,
    services: Sequence[str],
    fresh: set[str],
    options: AttachOptions,
    out: IO[str] | None = None,
) -> int:
    """Stream the logs of the project's containers (of `services`) until the app ends; return
    the exit code `up` should have. `fresh`: ids of containers this `up` started (their whole
    output is shown; for others, only what comes from now on)."""
    target = out or sys.stdout
    stream = LogStream(engine, follow=True)
    form = LogFormat(
        color=options.color and target.isatty(),
        timestamps=options.timestamps,
        prefix=options.prefix,
    )
    watched = containers_of(engine, project, services, all=True)
    watched = [c for c in watched if c.labels.get(L.ONEOFF) != "True"]
    form.width = max((len(prefix_of(c)[0]) for c in watched), default=0)
    chosen_services = {c.labels.get(L.SERVICE) for c in watched}

    def wanted(container: Container) -> bool:
        return container.labels.get(L.SERVICE) in chosen_services and (
            container.labels.get(L.ONEOFF) != "True"
        )

    for container in watched:
        if container.state.running or container.id in fresh:
            stream.add(container, from_start=container.id in fresh)
    stream.watch_project(project, wanted)
    outcome: dict[str, int] = {}

    def finished(container_id: str) -> bool:
        container = engine.containers.find(container_id)
        if container is None or container.state.running:
            return False
        service = container.labels.get(L.SERVICE, "")
        code = container.state.exit_code
        target.write(f"{container.name} exited with code {code}\n")
        target.flush()
        if options.exit_code_from is not None and service == options.exit_code_from:
            outcome["code"] = code
        if options.abort_on_exit or options.exit_code_from is not None:
            outcome.setdefault("code", code if options.exit_code_from is None else 0)
            outcome["abort"] = 1
            return True
        return not any(c.state.running for c in containers_of(engine, project, services))

    with _Interrupts() as interrupts:
        printer = threading.Thread(
            target=print_lines,
            args=(stream, target, form),
            kwargs={"until_all_finished": False, "on_finished": finished},
            daemon=True,
        )
        printer.start()
        while printer.is_alive() and not interrupts.stop.is_set():
            printer.join(0.2)
        if interrupts.stop.is_set() or outcome.get("abort"):
            if outcome.get("abort"):
                target.write("Aborting on container exit...\n")
            _stop_app(engine, project, services, options.stop_timeout, interrupts)
        stream.stop()
    if interrupts.stop.is_set() and "code" not in outcome:
        return 130
    return outcome.get("code", 0)


def _stop_app(
    engine: Engine,
    project: str,
    services: Sequence[str],
    timeout: float | None,
    interrupts: _Interrupts,
) -> None:
    """Stop the app's containers, dependents first; a second Ctrl-C kills what is left."""
    from orchestrator import lifecycle
    from orchestrator.progress import progress_for

    running = [c for c in containers_of(engine, project, services) if c.state.running]
    with progress_for(sys.stderr, title="Stopping") as progress:
        worker = threading.Thread(
            target=_quietly, args=(lifecycle.stop, engine, running, progress, timeout), daemon=True
        )
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            if interrupts.kill.is_set():
                for container in running:
                    _quietly(engine.containers.kill, container.id, "SIGKILL")
                worker.join(5)
                break


def _quietly(function: object, *args: object) -> None:
    try:
        function(*args)  # type: ignore[operator]
    except Exception as exc:
        sys.stderr.write(f"pycompose: {exc}\n")
