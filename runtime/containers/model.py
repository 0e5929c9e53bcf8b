"""The container manager's records: what a caller asks for, and what a container is.

    ContainerRequest  -> Containers.create      (run options + image + networks + policies)
    Container         <- Containers.get/list    (the stored record joined with the kernel's truth)
    Event             <- Containers.events      (create, start, die, health_status, ...)

Durations are seconds (floats), sizes bytes, as in `ContainerSpec`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runtime.containers.spec import ContainerSpec, ContainerSpecError
from runtime.network.model import PortRequest

RestartName = Literal["no", "always", "on-failure", "unless-stopped"]
RESTART_NAMES: tuple[RestartName, ...] = ("no", "always", "on-failure", "unless-stopped")
STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH_STATUSES = ("starting", "healthy", "unhealthy")
DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5.0
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NetworkAttachment:
    """One network to join: its name, the extra names the container answers to, a fixed address."""

    network: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    mac_address: str | None = None


@dataclass(frozen=True)
class Healthcheck:
    """A healthcheck as asked for; None fields fall back to the image's, then Docker's defaults.

    `test` is Docker's form: ("CMD", exe, args...), ("CMD-SHELL", "command") or
    ("NONE",) to switch the image's healthcheck off.
    """

    test: tuple[str, ...] | None = None
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    start_interval: float | None = None


@dataclass(frozen=True)
class HealthcheckPlan:
    """A resolved healthcheck: what the monitor runs and when (never disabled)."""

    test: tuple[str, ...]
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    start_period: float = 0.0
    start_interval: float = DEFAULT_START_INTERVAL

    @property
    def argv(self) -> list[str]:
        """The probe's command line (CMD-SHELL runs through /bin/sh -c)."""
        if self.test[0] == "CMD-SHELL":
            return ["/bin/sh", "-c", " ".join(self.test[1:])]
        return list(self.test[1:])

    def to_docker(self) -> dict[str, Any]:
        """Docker's `Config.Healthcheck`: durations in nanoseconds."""
        return {
            "Test": list(self.test),
            "Interval": int(self.interval * 1e9),
            "Timeout": int(self.timeout * 1e9),
            "StartPeriod": int(self.start_period * 1e9),
            "StartInterval": int(self.start_interval * 1e9),
            "Retries": self.retries,
        }


def resolve_healthcheck(
    asked: Healthcheck | None, image_config: Mapping[str, Any]
) -> HealthcheckPlan | None:
    """The healthcheck to run: the request's fields over the image's HEALTHCHECK, or None."""
    image = image_config.get("Healthcheck") or {}

    def seconds(value: float | None, key: str, default: float) -> float:
        if value is not None:
            return float(value)
        nanos = image.get(key) or 0
        return nanos / 1e9 if nanos else default

    test = (asked.test if asked and asked.test else None) or tuple(image.get("Test") or ())
    if not test or test[0] == "NONE":
        return None
    if test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        raise ContainerSpecError(
            f"healthcheck test {list(test)!r}: expected CMD or CMD-SHELL and a command"
        )
    asked = asked or Healthcheck()
    retries = asked.retries if asked.retries is not None else image.get("Retries")
    return HealthcheckPlan(
        test=tuple(test),
        interval=seconds(asked.interval, "Interval", DEFAULT_INTERVAL),
        timeout=seconds(asked.timeout, "Timeout", DEFAULT_TIMEOUT),
        retries=int(retries) if retries else DEFAULT_RETRIES,
        start_period=seconds(asked.start_period, "StartPeriod", 0.0),
        start_interval=seconds(asked.start_interval, "StartInterval", DEFAULT_START_INTERVAL),
    )


@dataclass(frozen=True)
class RestartPolicy:
    """`--restart no|always|on-failure[:N]|unless-stopped`."""

    name: RestartName = "no"
    maximum_retry_count: int = 0

    @classmethod
    def parse(cls, text: str | None) -> RestartPolicy:
        """Docker's syntax; a retry count only goes with on-failure."""
        name, _, count = (text or "no").partition(":")
        if name not in RESTART_NAMES:
            raise ContainerSpecError(
                f"invalid restart policy {text!r}: use no, always, on-failure[:N] or unless-stopped"
            )
        if count and name != "on-failure":
            raise ContainerSpecError(f"restart policy {name} takes no retry count")
        try:
            retries = int(count) if count else 0
        except ValueError:
            raise ContainerSpecError(f"invalid retry count in restart policy {text!r}") from None
        if retries < 0:
            raise ContainerSpecError(f"invalid retry count in restart policy {text!r}")
        return cls(name, retries)

    def __str__(self) -> str:
        if self.name == "on-failure" and self.maximum_retry_count:
            return f"on-failure:{self.maximum_retry_count}"
        return self.name


def parse_size(text: str) -> int:
    """Docker's sizes (`-m`, `max-size`): 512m, 10k, 1g (powers of 1024); a plain number is bytes."""
    match = _SIZE_RE.match(text)
    if not match:
        raise ContainerSpecError(f"invalid size {text!r}: use a number with k, m or g")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "bkmgt".index((unit or "b").lower()))


@dataclass(frozen=True)
class LogConfig:
    """Where the output goes: `json-file` (default; max-size, max-file) or `none`."""

    driver: str = "json-file"
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.driver not in ("json-file", "none", "local"):
            raise ContainerSpecError(
                f"logging driver {self.driver!r} is not supported (json-file, local or none)"
            )
        unknown = set(self.options) - {"max-size", "max-file", "compress", "mode", "tag"}
        if unknown:
            raise ContainerSpecError(f"unknown log option(s): {', '.join(sorted(unknown))}")
        self.max_size  # noqa: B018 - validates
        self.max_file  # noqa: B018

    @property
    def max_size(self) -> int | None:
        """Bytes one log file may reach before rotation; None is unlimited."""
        text = self.options.get("max-size")
        if text in (None, "", "-1"):
            return None
        size = parse_size(str(text))
        if size <= 0:
            raise ContainerSpecError(f"invalid max-size {text!r}")
        return size

    @property
    def max_file(self) -> int:
        """How many files (current + rotated) are kept."""
        text = self.options.get("max-file") or "1"
        try:
            count = int(text)
        except ValueError:
            raise ContainerSpecError(f"invalid max-file {text!r}") from None
        if count < 1:
            raise ContainerSpecError(f"max-file must be at least 1, got {count}")
        if count > 1 and self.max_size is None:
            raise ContainerSpecError("max-file needs max-size")
        return count


@dataclass(frozen=True)
class ContainerRequest:
    """Everything `create` needs: run options, image, networking, policies.

    - `spec.name` is the container's name ("" gets a generated one); `spec.labels`
      its labels; `spec.network` its network mode (private: the `networks` below,
      the default `bridge` network when empty; host; none; container:<name|id>;
      a namespace path to join).
    - `sandbox`: a pinned network namespace this container takes over as its
      own (recreating a namespace owner: its dependents keep their namespace).
    - `healthcheck` None keeps the image's HEALTHCHECK.
    - `runtime` None is the engine's default (`pycompose`, `crun`, `runc`).
    """

    spec: ContainerSpec
    image: str
    networks: tuple[NetworkAttachment, ...] = ()
    ports: tuple[PortRequest, ...] = ()
    healthcheck: Healthcheck | None = None
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    log: LogConfig = field(default_factory=LogConfig)
    auto_remove: bool = False
    runtime: str | None = None
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()
    sandbox: str | None = None
    stdin_once: bool = False


@dataclass(frozen=True)
class ExecOptions:
    """`exec`: a command in a running container, with `-u -w -e -t -i -d` and `--privileged`."""

    args: tuple[str, ...]
    user: str | None = None
    workdir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    tty: bool = False
    interactive: bool = False
    detach: bool = False
    privileged: bool = False


@dataclass(frozen=True)
class HealthResult:
    """One probe: when it ran, its exit code (-1: timed out or failed to start), its output."""

    start: str
    end: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class Health:
    """`State.Health`: starting, healthy or unhealthy; consecutive failures; the last 5 probes."""

    status: str
    failing_streak: int = 0
    log: tuple[HealthResult, ...] = ()


@dataclass(frozen=True)
class ContainerState:
    """`State`, as the store recorded it and the kernel confirms it."""

    status: str
    pid: int = 0
    exit_code: int = 0
    oom_killed: bool = False
    error: str = ""
    started_at: str = ""
    finished_at: str = ""
    restart_count: int = 0
    health: Health | None = None
    monitor_pid: int = 0

    @property
    def running(self) -> bool:
        """Docker's State.Running: true while running, paused or restarting."""
        return self.status in ("running", "paused", "restarting")

    @property
    def paused(self) -> bool:
        return self.status == "paused"

    @property
    def restarting(self) -> bool:
        return self.status == "restarting"


@dataclass(frozen=True)
class Container:
    """One container: its identity, what it was created from, and its current state."""

    id: str
    name: str
    image: str
    image_id: str
    created: str
    labels: Mapping[str, str]
    request: ContainerRequest
    state: ContainerState
    runtime: str
    directory: Path
    sandbox: str = ""  # the pinned network namespace it owns ("" when it joins another's)
    resolved: Mapping[str, Any] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def spec(self) -> ContainerSpec:
        return self.request.spec

    def status_text(self, now: float | None = None) -> str:
        """`docker ps`'s STATUS: "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago", ..."""
        from runtime.containers.timestamps import parse_timestamp, since_text

        now = time.time() if now is None else now
        state = self.state
        if state.status in ("running", "paused"):
            started = parse_timestamp(state.started_at) or now
            text = f"Up {since_text(now - started)}"
            if state.status == "paused":
                text += " (Paused)"
            elif state.health is not None:
                text += f" ({'health: starting' if state.health.status == 'starting' else state.health.status})"
            return text
        if state.status == "restarting":
            finished = parse_timestamp(state.finished_at) or now
            return f"Restarting ({state.exit_code}) {since_text(now - finished)} ago"
        if state.status == "exited":
            finished = parse_timestamp(state.finished_at) or now
            return f"Exited ({state.exit_code}) {since_text(now - finished)} ago"
        if state.status == "removing":
            return "Removal In Progress"
        if state.status == "dead":
            return "Dead"
        return "Created"


@dataclass(frozen=True)
class Event:
    """One entry of the events record: `container <action> <id> (<attributes>)`."""

    seq: int
    time_nano: int
    container_id: str
    name: str
    image: str
    action: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    def to_docker(self) -> dict[str, Any]:
        """The JSON `docker events --format '{{json .}}'` prints."""
        return {
            "status": self.action,
            "id": self.container_id,
            "from": self.image,
            "Type": "container",
            "Action": self.action,
            "Actor": {
                "ID": self.container_id,
                "Attributes": {"image": self.image, "name": self.name, **self.attributes},
            },
            "scope": "local",
            "time": self.time_nano // 1_000_000_000,
            "timeNano": self.time_nano,
        }


@dataclass(frozen=True)
class LogEntry:
    """One line of a container's output: when, which stream, the bytes (newline included)."""

    time: str
    stream: str
    data: bytes
