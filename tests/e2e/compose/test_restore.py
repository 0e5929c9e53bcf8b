"""After a reboot: `system restore` brings back what the restart policies say, in dependency
order; `system install-unit` writes the unit that runs it at boot."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support.compose_apps import IDLE, ComposeApp

APP = f"""
services:
  db:
    image: busybox
    command: {IDLE}
    restart: always
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      start_interval: 1s
  api:
    image: busybox
    command: {IDLE}
    restart: unless-stopped
    depends_on:
      db: {{condition: service_healthy}}
  paused_by_hand:
    image: busybox
    command: {IDLE}
    restart: unless-stopped
  job:
    image: busybox
    command: {IDLE}
    restart: on-failure
  plain:
    image: busybox
    command: {IDLE}
"""


def power_cut(app: ComposeApp) -> None:
    """What a reboot does to running containers: every monitor and process gone at once."""
    for container in app.engine().containers.list():
        for pid in (container.state.monitor_pid, container.state.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def test_restore_brings_back_what_the_policies_say(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    app.run("stop", "-t", "1", "paused_by_hand")
    power_cut(app)
    app.engine().containers.wait_for(
        app.container("db").id, lambda c: c is not None and not c.state.running, timeout=10
    )
    result = app.run("system", "restore")
    assert "restored 3 containers" in result.stdout
    states = app.states()
    assert states["db-1"] == "running"
    assert states["api-1"] == "running"
    assert states["job-1"] == "running"
    assert states["paused_by_hand-1"] == "exited"
    assert states["plain-1"] == "exited"
    health = app.container("db").state.health
    assert app.container("db").state.started_at < app.container("api").state.started_at
    assert health is not None


def test_install_unit_writes_a_unit_for_this_root(app: ComposeApp, tmp_path: Path) -> None:
    units = tmp_path / "units"
    result = app.run("system", "install-unit", "--dir", str(units))
    written = list(units.iterdir())
    assert len(written) == 1 and written[0].name.endswith("-restore.service")
    text = written[0].read_text()
    assert f"--root {app.layout.root} system restore" in text
    assert "WantedBy=multi-user.target" in text
    assert str(written[0]) in result.stdout
