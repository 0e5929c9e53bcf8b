"""Healthchecks become exec probes.

    readiness  the Pod receives Service traffic (and `depends_on: service_healthy`
               waiters go on) only while the check passes;
    liveness   the container is restarted after `retries` failures in a row;
    startup    with a `start_period`, failures during it do not count: checks run
               every `start_interval` and the two probes above wait for it.

`CMD` runs the program itself, `CMD-SHELL` runs it with `/bin/sh -c`, as Docker
does. Durations round up to whole seconds (Kubernetes' unit), at least one;
unset values take Docker's defaults (30s interval and timeout, 3 retries, 5s
start interval). A healthcheck that only changes timing keeps the image's
test, which the cluster cannot see: no probe, and a warning.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from specs.model import Healthcheck, Service
from specs.units import SECOND

DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_RETRIES = 3
DEFAULT_START_INTERVAL = 5 * SECOND
SHELL = ("/bin/sh", "-c")


def probes(service: Service, warn: Callable[[str], None]) -> dict[str, Any]:
    """The probe fields of a service's container (`readinessProbe`, `livenessProbe`,
    and `startupProbe` when there is a start period); empty without a healthcheck."""
    check = service.healthcheck
    if check is None or check.disabled:
        return {}
    if check.test is None:
        warn(
            f"services.{service.name}.healthcheck: uses the image's test, which Kubernetes "
            "does not read; no probe is made (give a test to get one)"
        )
        return {}
    command = list(check.test[1:]) if check.test[0] == "CMD" else [*SHELL, check.test[1]]
    retries = max(1, DEFAULT_RETRIES if check.retries is None else check.retries)
    steady = {
        "exec": {"command": command},
        "periodSeconds": seconds(check.interval, DEFAULT_INTERVAL),
        "timeoutSeconds": seconds(check.timeout, DEFAULT_TIMEOUT),
        "failureThreshold": retries,
    }
    result: dict[str, Any] = {"readinessProbe": steady, "livenessProbe": dict(steady)}
    if check.start_period:
        result["startupProbe"] = _startup(check, command, retries)
    return result


def seconds(nanoseconds: int | None, default: int) -> int:
    """A duration in whole seconds, rounded up, at least 1."""
    value = default if nanoseconds is None else nanoseconds
    return max(1, math.ceil(value / SECOND))


def _startup(check: Healthcheck, command: list[str], retries: int) -> dict[str, Any]:
    period = seconds(check.start_interval, DEFAULT_START_INTERVAL)
    start_period = check.start_period or 0
    return {
        "exec": {"command": command},
        "periodSeconds": period,
        "timeoutSeconds": seconds(check.timeout, DEFAULT_TIMEOUT),
        "failureThreshold": math.ceil(start_period / (period * SECOND)) + retries,
    }
