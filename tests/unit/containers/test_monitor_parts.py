"""The monitor's own decisions and its log writer, without a container."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.containers.logs import log_files, parse_line
from runtime.containers.monitor.logfile import PARTIAL_LIMIT, JsonFileLog
from runtime.containers.monitor.policies import HealthProbeResult, HealthTracker, Restarts


def test_restart_back_off_doubles_and_resets_after_a_long_run() -> None:
    always = Restarts("always")
    delays = [always.next_delay(0, 0.5, stopped=False) for _ in range(12)]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8] and delays[-1] == 60.0
    assert always.next_delay(0, 15.0, stopped=False) == 0.1
    assert always.next_delay(1, 0.5, stopped=True) is None
    assert Restarts("no").next_delay(1, 1, stopped=False) is None
    assert Restarts("unless-stopped").next_delay(0, 1, stopped=False) == 0.1


def test_on_failure_counts_its_retries() -> None:
    policy = Restarts("on-failure", maximum=2)
    assert policy.next_delay(0, 1, stopped=False) is None
    assert policy.next_delay(3, 1, stopped=False) is not None
    policy.count = 2
    assert policy.next_delay(3, 1, stopped=False) is None
    assert Restarts("on-failure", maximum=0, count=50).next_delay(1, 1, stopped=False) is not None


def _probe(code: int) -> HealthProbeResult:
    return HealthProbeResult("s", "e", code, "x" * 5000)


def test_health_start_period_retries_and_log() -> None:
    plan = {"interval": 30, "timeout": 5, "retries": 2, "start_period": 10, "start_interval": 1}
    health = HealthTracker(plan, started=100.0)
    assert health.wait_before_probe(100.0) == 1  # start interval while starting
    assert not health.record(_probe(1), now=101.0)  # a failure in the start period does not count
    assert health.status == "starting" and health.failing == 0
    assert health.record(_probe(0), now=102.0) and health.status == "healthy"
    assert health.wait_before_probe(103.0) == 30
    assert not health.record(_probe(1), now=104.0)  # counted now: it was healthy once
    assert health.record(_probe(1), now=105.0) and health.status == "unhealthy"
    for _ in range(6):
        health.record(_probe(1), now=200.0)
    assert len(health.log) == 5 and len(health.log[0].output) == 4096
    assert health.log_json()[0] == {"Start": "s", "End": "e", "ExitCode": 1, "Output": "x" * 4096}


def _entries(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for file in log_files(path) for line in file.read_bytes().splitlines()]


def test_json_file_lines_partial_lines_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    log = JsonFileLog(str(path), max_size=200, max_file=3)
    log.write("stdout", b"one\ntw")
    log.write("stderr", b"err\n")
    log.write("stdout", b"o\n")
    assert [(e["stream"], e["log"]) for e in _entries(path)] == [
        ("stdout", "one\n"),
        ("stderr", "err\n"),
        ("stdout", "two\n"),
    ]
    for number in range(40):
        log.write("stdout", f"line {number}\n".encode())
    log.write("stdout", b"unfinished")
    log.close()
    files = log_files(path)
    assert [f.name for f in files] == ["c-json.log.2", "c-json.log.1", "c-json.log"]
    texts = [e["log"] for e in _entries(path)]
    numbers = [int(t.split()[1]) for t in texts if t.startswith("line")]
    assert numbers == list(range(numbers[0], 40)) and texts[-1] == "unfinished"
    entry = parse_line(files[-1].read_bytes().splitlines()[-1])
    assert entry is not None and entry.data == b"unfinished" and entry.time.endswith("Z")


def test_one_file_is_truncated_and_long_lines_are_split(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    log = JsonFileLog(str(path), max_size=100, max_file=1)
    for number in range(20):
        log.write("stdout", f"{number}\n".encode())
    log.close()
    assert [f.name for f in log_files(path)] == ["c-json.log"] and path.stat().st_size < 200
    long = tmp_path / "long-json.log"
    writer = JsonFileLog(str(long))
    writer.write("stdout", b"a" * (PARTIAL_LIMIT + 10) + b"\n")
    writer.close()
    pieces = [e["log"] for e in _entries(long)]
    assert [len(p) for p in pieces] == [PARTIAL_LIMIT, 11] and pieces[1].endswith("\n")
