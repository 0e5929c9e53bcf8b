"""`up` in the foreground: prefixed logs of every service, stop on a container exit when asked,
the app stopped by Ctrl-C."""

from __future__ import annotations

import signal
import time

from tests.support.compose_apps import IDLE, ComposeApp

APP = f"""
services:
  talker:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo first line; echo second line; exit 5"]
  idle:
    image: busybox
    command: {IDLE}
"""


def test_exit_code_from_a_service_stops_the_rest(app: ComposeApp) -> None:
    app.write(APP)
    result = app.run("up", "--exit-code-from", "talker", "--no-color", check=False)
    assert result.returncode == 5, result.stderr
    lines = result.stdout.splitlines()
    assert "talker-1  | first line" in lines
    assert "talker-1  | second line" in lines
    assert lines.index("talker-1  | first line") < lines.index("talker-1  | second line")
    assert app.states() == {"talker-1": "exited", "idle-1": "exited"}


def test_attached_up_ends_when_every_container_has_exited(app: ComposeApp) -> None:
    app.write(APP.replace(f"command: {IDLE}", 'command: ["sh", "-c", "echo done"]'))
    result = app.run("up", "--no-color")
    assert "idle-1    | done" in result.stdout.splitlines()
    assert "talker-1  | second line" in result.stdout.splitlines()


def test_ctrl_c_stops_the_app(app: ComposeApp) -> None:
    app.write(
        APP.replace(
            '"sleep 1; echo first line; echo second line; exit 5"',
            "\"echo hi; trap 'exit 0' TERM; sleep 100000 & wait\"",
        )
    )
    process = app.popen("up", "--no-color")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = app.engine().containers.list(all=True)
        if len(states) == 2 and all(c.state.status == "running" for c in states):
            break
        time.sleep(0.2)
    time.sleep(1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert "Gracefully stopping" in err
    assert "talker-1  | hi" in out
    assert app.states() == {"talker-1": "exited", "idle-1": "exited"}
