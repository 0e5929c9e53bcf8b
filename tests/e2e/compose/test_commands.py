"""The everyday verbs on a running app: ps, ls, logs, exec, run, stop/start, kill, pause, cp,
commit, events, port, top, images, and down without the file."""

from __future__ import annotations

import json
import time

from tests.support.compose_apps import IDLE, ComposeApp

APP = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web says hi; sleep 100000 & wait"]
    ports: ["8080:80"]
    depends_on: [db]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db ready; sleep 100000 & wait"]
"""


def test_ps_ls_and_formats(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    table = app.run("ps").stdout.splitlines()
    assert table[0].split()[:4] == ["NAME", "IMAGE", "COMMAND", "SERVICE"]
    assert any(line.startswith("app-web-1") and "0.0.0.0:8080->80/tcp" in line for line in table)
    assert app.run("ps", "--services").stdout.split() == ["db", "web"]
    assert len(app.run("ps", "-q").stdout.split()) == 2
    entries = [json.loads(line) for line in app.run("ps", "--format", "json").stdout.splitlines()]
    assert {entry["Name"] for entry in entries} == {"app-web-1", "app-db-1"}
    assert entries[0]["Project"] == "app"
    listed = json.loads(app.run("ls", "--format", "json").stdout)
    assert listed[0]["Name"] == "app" and listed[0]["Status"] == "running(2)"
    app.run("stop", "db", "web", "-t", "1")
    assert app.run("ps").stdout.splitlines()[1:] == []
    assert set(app.run("ps", "--status", "exited", "-q").stdout.split()) == set(app.ids().values())
    assert app.run("ls").stdout.splitlines()[1:] == []
    assert "app" in app.run("ls", "-a").stdout


def test_logs_have_prefixes_and_follow_new_containers(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    logs = app.run("logs", "--no-color").stdout.splitlines()
    assert "web-1  | web says hi" in logs
    assert "db-1   | db ready" in logs
    assert app.run("logs", "--no-log-prefix", "web").stdout == "web says hi\n"
    follower = app.popen("logs", "-f", "--no-color", "db")
    try:
        time.sleep(1.5)
        app.run("up", "-d", "--scale", "db=2")
        deadline = time.monotonic() + 20
        seen = ""
        import os
        import selectors

        assert follower.stdout is not None
        os.set_blocking(follower.stdout.fileno(), False)
        selector = selectors.DefaultSelector()
        selector.register(follower.stdout, selectors.EVENT_READ)
        while "db-2" not in seen and time.monotonic() < deadline:
            selector.select(timeout=0.5)
            seen += follower.stdout.read() or ""
        assert "db-2  | db ready" in seen
    finally:
        follower.terminate()
        follower.wait(10)


def test_exec_run_and_their_exit_codes(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    assert app.run("exec", "-T", "web", "hostname").stdout.strip()
    result = app.run("exec", "-T", "web", "sh", "-c", "exit 7", check=False)
    assert result.returncode == 7
    assert (
        app.run("exec", "-T", "-e", "X=42", "-w", "/tmp", "web", "sh", "-c", "echo $X $PWD").stdout
        == "42 /tmp\n"
    )
    run = app.run(
        "run", "--rm", "-T", "-e", "Y=1", "web", "sh", "-c", "echo one-off $Y; exit 3", check=False
    )
    assert run.returncode == 3
    assert "one-off 1" in run.stdout
    assert [c for c in app.ps() if "run" in c["Name"]] == []
    detached = app.run("run", "-d", "--name", "job", "db", "sh", "-c", "sleep 1").stdout.strip()
    assert detached == "job"
    assert any(c["Name"] == "job" for c in app.ps())


def test_stop_start_kill_pause_and_restart(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    app.run("pause", "web")
    assert app.states()["web-1"] == "paused"
    app.run("unpause", "web")
    assert app.states()["web-1"] == "running"
    app.run("kill", "-s", "SIGKILL", "web")
    assert app.states()["web-1"] == "exited"
    app.run("start")
    assert app.states() == {"db-1": "running", "web-1": "running"}
    before = app.container("web").state.started_at
    app.run("restart", "-t", "1", "web")
    assert app.container("web").state.started_at != before
    app.run("stop", "-t", "1")
    app.run("rm", "-f")
    assert app.ps() == []


def test_cp_commit_top_port_images_and_events(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    (app.directory / "note.txt").write_text("from the host\n")
    app.run("cp", "note.txt", "web:/tmp/note.txt")
    assert app.run("exec", "-T", "web", "cat", "/tmp/note.txt").stdout == "from the host\n"
    app.run("cp", "web:/tmp/note.txt", "back.txt")
    assert (app.directory / "back.txt").read_text() == "from the host\n"
    image_id = app.run("commit", "web", "snap:1").stdout.strip()
    assert image_id.startswith("sha256:")
    assert app.engine().images.resolve("snap:1") == image_id
    assert "sleep" in app.run("top", "web").stdout
    assert app.run("port", "web", "80").stdout.strip() == "0.0.0.0:8080"
    assert "busybox" in app.run("images").stdout
    events = [
        json.loads(line)
        for line in app.run(
            "events", "--json", "--since", "5m", "--until", "0s"
        ).stdout.splitlines()
    ]
    actions = {(event["service"], event["action"]) for event in events}
    assert ("web", "start") in actions and ("db", "create") in actions


def test_down_by_project_name_without_the_file(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d")
    (app.directory / "compose.yaml").unlink()
    app.run("-p", "app", "down")
    assert app.engine().containers.list(all=True) == []
    assert not app.engine().networks.exists("app_default")


def test_two_ups_of_one_project_take_turns(app: ComposeApp) -> None:
    app.write(
        APP.replace(
            "depends_on: [db]",
            f"depends_on: [db]\n  extra:\n    image: busybox\n    command: {IDLE}",
        )
    )
    first = app.popen("up", "-d")
    second = app.popen("up", "-d")
    assert first.wait(120) == 0, first.communicate()
    assert second.wait(120) == 0, second.communicate()
    assert sorted(app.states()) == ["db-1", "extra-1", "web-1"]
