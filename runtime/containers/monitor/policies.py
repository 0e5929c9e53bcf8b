"""What the monitor decides on its own: restarting after an exit, and the health status.

Restarts follow Docker's rules: `always` and `unless-stopped` restart after
any exit, `on-failure[:N]` after a non-zero one (at most N times); never after
a stop by the user. The delay starts at 100 ms and doubles per restart up to
one minute, back to 100 ms once a run lasted 10 seconds.

Health follows Docker's too: the first probe comes one interval after the
start (one start interval while in the start period), the next one an
interval after the previous ended; exit 0 is healthy; failures count towards
`retries` except during the start period while still starting; the last
five results and up to 4 KiB of output each are kept.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INITIAL_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0
LOG_ENTRIES = 5
OUTPUT_LIMIT = 4096


class Restarts:
    """The restart policy of one container and how many times it has been applied."""

    def __init__(self, name: str = "no", maximum: int = 0, count: int = 0):
        self.name = name
        self.maximum = maximum
        self.count = count
        self.delay = 0.0

    def next_delay(self, exit_code: int, ran_for: float, stopped: bool) -> float | None:
        """Seconds to wait before restarting, or None when the container stays down."""
        if stopped or self.name == "no":
            return None
        if self.name == "on-failure":
            if exit_code == 0 or (self.maximum and self.count >= self.maximum):
                return None
        elif self.name not in ("always", "unless-stopped"):
            return None
        if ran_for >= RESET_AFTER or self.delay == 0:
            self.delay = INITIAL_DELAY
        else:
            self.delay = min(self.delay * 2, MAX_DELAY)
        return self.delay


class HealthProbeResult:
    """One probe, as stored in State.Health.Log."""

    def __init__(self, start: str, end: str, exit_code: int, output: str):
        self.start = start
        self.end = end
        self.exit_code = exit_code
        self.output = output

    def to_json(self) -> dict[str, Any]:
        return {
            "Start": self.start,
            "End": self.end,
            "ExitCode": self.exit_code,
            "Output": self.output,
        }


class HealthTracker:
    """The health status of a running container, from its probes (plan: HealthcheckPlan's
    fields as a dict; `started`: when the container started, in monotonic seconds)."""

    def __init__(self, plan: dict[str, Any], started: float):
        self.interval = float(plan["interval"])
        self.timeout = float(plan["timeout"])
        self.retries = int(plan["retries"])
        self.start_period = float(plan["start_period"])
        self.start_interval = float(plan["start_interval"])
        self.started = started
        self.status = "starting"
        self.failing = 0
        self.log: list[HealthProbeResult] = []

    def in_start_period(self, now: float) -> bool:
        return self.start_period > 0 and now < self.started + self.start_period

    def wait_before_probe(self, now: float) -> float:
        """How long after now (the container's start or the last probe's end) to probe again."""
        if self.status == "starting" and self.in_start_period(now):
            return self.start_interval
        return self.interval

    def record(self, result: HealthProbeResult, now: float) -> bool:
        """Account for one probe; True when the status changed."""
        before = self.status
        result.output = result.output[:OUTPUT_LIMIT]
        self.log = [*self.log, result][-LOG_ENTRIES:]
        if result.exit_code == 0:
            self.failing = 0
            self.status = "healthy"
        elif not (self.status == "starting" and self.in_start_period(now)):
            self.failing += 1
            if self.failing >= self.retries:
                self.status = "unhealthy"
        return self.status != before

    def log_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.log]
