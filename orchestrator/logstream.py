"""Many containers' logs as one stream: `web-1  | line`, a colour per service, following new ones.

One reader thread per container feeds a queue; the caller's thread prints,
so lines never interleave mid-line. With `follow`, a watcher on the engine's
events starts a reader for each container of the project that starts later
(a scaled-up replica, a recreated service), as `docker compose logs -f` does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from orchestrator import labels as L

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.engine import Engine

# Compose's palette order: cyan, yellow, green, magenta, blue, then the bright ones.
PALETTE = (36, 33, 32, 35, 34, 96, 93, 92, 95, 94)


@dataclass(frozen=True)
class LogLine:
    """One line of one container's output."""

    prefix: str
    """`web-1` (the service and replica number), or the container name."""
    service: str
    text: str
    time: str
    stream: str


@dataclass(frozen=True)
class Finished:
    """A reader reached the end of a container's log (it stopped, or follow was off)."""

    container_id: str


@dataclass
class LogFormat:
    """How lines are printed: colours, timestamps, prefixes."""

    color: bool = True
    timestamps: bool = False
    prefix: bool = True
    width: int = 0
    services: list[str] = field(default_factory=list)

    def colour_of(self, service: str) -> int:
        if service not in self.services:
            self.services.append(service)
        return PALETTE[self.services.index(service) % len(PALETTE)]

    def render(self, line: LogLine) -> str:
        self.width = max(self.width, len(line.prefix))
        text = line.text
        if self.timestamps:
            text = f"{line.time} {text}"
        if not self.prefix:
            return text
        head = f"{line.prefix.ljust(self.width)}  |"
        if self.color:
            head = f"\x1b[{self.colour_of(line.service)}m{head}\x1b[0m"
        return f"{head} {text}"


def prefix_of(container: Container) -> tuple[str, str]:
    """(`web-1`, `web`) for a service's container, (name, name) for any other."""
    identity = L.identity_of(container.labels)
    if identity is None:
        return container.name, container.name
    if identity.oneoff:
        return container.name, identity.service
    return f"{identity.service}-{identity.number}", identity.service


class LogStream:
    """Follows the logs of a set of containers, and of the project's later ones."""

    def __init__(
        self,
        engine: Engine,
        *,
        follow: bool,
        tail: int | None = None,
        since: float | None = None,
        until: float | None = None,
    ):
        self.engine = engine
        self.follow = follow
        self.tail = tail
        self.since = since
        self.until = until
        self.lines: queue.Queue[LogLine | Finished] = queue.Queue(maxsize=10_000)
        self.readers: dict[str, threading.Thread] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def add(self, container: Container, *, from_start: bool = False) -> None:
        """Start reading one container (again for a container that restarted); `from_start`
        reads its whole log instead of the last `tail` lines."""
        with self._lock:
            current = self.readers.get(container.id)
            if current is not None and current.is_alive():
                return
            reader = threading.Thread(
                target=self._read,
                args=(container, None if from_start else self.tail),
                name=f"logs-{container.short_id}",
                daemon=True,
            )
            self.readers[container.id] = reader
        reader.start()

    def _read(self, container: Container, tail: int | None) -> None:
        prefix, service = prefix_of(container)
        try:
            for entry in self.engine.containers.logs(
                container.id, follow=self.follow, tail=tail, since=self.since, until=self.until
            ):
                if self.stopping.is_set():
                    break
                text = entry.data.decode(errors="replace").rstrip("\n")
                self.lines.put(LogLine(prefix, service, text, entry.time, entry.stream))
        except Exception as exc:  # a container removed while read: its stream just ends
            self.lines.put(LogLine(prefix, service, f"(log ended: {exc})", "", "stderr"))
        finally:
            self.lines.put(Finished(container.id))

    def watch_project(self, project: str, wanted: Callable[[Container], bool]) -> None:
        """Start a reader for every container of `project` that starts from now on."""

        def run() -> None:
            events = self.engine.containers.events(
                follow=True,
                filters={"label": [f"{L.PROJECT}={project}"], "event": ["start"]},
            )
            for event in events:
                if self.stopping.is_set():
                    return
                container = self.engine.containers.find(event.container_id)
                if container is not None and wanted(container):
                    # Lines written before the reader starts are in the file: read them all.
                    self.add(container, from_start=True)

        threading.Thread(target=run, name="logs-watch", daemon=True).start()

    def entries(self) -> Iterator[LogLine | Finished]:
        """Lines and end-of-log marks as they come, until `stop()`."""
        while not self.stopping.is_set():
            try:
                yield self.lines.get(timeout=0.2)
            except queue.Empty:
                continue

    def active(self) -> int:
        """How many readers are still reading."""
        with self._lock:
            return sum(1 for reader in self.readers.values() if reader.is_alive())

    def stop(self) -> None:
        self.stopping.set()


def print_lines(
    stream: LogStream,
    out: IO[str],
    form: LogFormat,
    *,
    until_all_finished: bool,
    on_finished: Callable[[str], bool] | None = None,
) -> None:
    """Print lines until every reader finished (`until_all_finished`) or `on_finished`
    returns True for a finished container."""
    finished: set[str] = set()
    for item in stream.entries():
        if isinstance(item, Finished):
            finished.add(item.container_id)
            if on_finished is not None and on_finished(item.container_id):
                return
            if until_all_finished and stream.active() == 0 and stream.lines.empty():
                return
            continue
        out.write(form.render(item) + "\n")
        out.flush()


def containers_of(
    engine: Engine, project: str, services: Iterable[str] = (), *, all: bool = True
) -> list[Container]:
    """The project's containers (of the named services), oldest first, one-offs last."""
    chosen = set(services)
    found = [
        container
        for container in engine.containers.list(all=all, labels={L.PROJECT: project})
        if not chosen or container.labels.get(L.SERVICE) in chosen
    ]
    return sorted(
        found,
        key=lambda c: (
            c.labels.get(L.ONEOFF) == "True",
            c.labels.get(L.SERVICE, ""),
            int(c.labels.get(L.NUMBER, "0") or 0),
        ),
    )
