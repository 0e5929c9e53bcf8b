"""The flags of the Compose verbs that the flow tests do not reach: recreation policies,
`create`, `wait`, `--abort-on-container-exit`, `run`'s mounts, ports and entrypoint,
`exec -u/--index` and its terminal, `logs --tail/-t/--since/--until`, `config` and `version`."""

from __future__ import annotations

import os
import re
import subprocess

from tests.support.commands import PYCOMPOSE
from tests.support.compose_apps import IDLE, ComposeApp

APP = f"""
services:
  web:
    image: busybox
    command: {IDLE}
    environment: {{ROLE: web}}
    ports: ["8080:80"]
    depends_on: [db]
  db:
    image: busybox
    command: {IDLE}
  job:
    image: busybox
    command: ["sh", "-c", "echo first; echo second; exit 4"]
    profiles: [jobs]
"""


def test_create_then_recreation_policies_and_wait(app: ComposeApp) -> None:
    app.write(APP)
    app.run("create")
    assert app.states() == {"db-1": "created", "web-1": "created"}
    app.run("up", "-d")
    assert app.states() == {"db-1": "running", "web-1": "running"}
    ids = app.ids()

    app.run("up", "-d", "--force-recreate", "--no-deps", "web")
    recreated = app.ids()
    assert recreated["web-1"] != ids["web-1"]
    assert recreated["db-1"] == ids["db-1"]

    app.write(APP.replace("ROLE: web", "ROLE: changed"))
    kept = app.run("up", "-d", "--no-recreate")
    assert app.ids() == recreated, kept.stderr
    assert app.run("exec", "-T", "web", "sh", "-c", "echo $ROLE").stdout == "web\n"
    app.run("up", "-d")
    assert app.ids()["web-1"] != recreated["web-1"]
    assert app.run("exec", "-T", "web", "sh", "-c", "echo $ROLE").stdout == "changed\n"

    app.run("--profile", "jobs", "up", "-d", "job")
    waited = app.run("--profile", "jobs", "wait", "job", check=False)
    assert (waited.returncode, waited.stdout) == (4, "4\n")


def test_abort_on_container_exit_stops_the_app_with_its_code(app: ComposeApp) -> None:
    app.write(APP.replace("    profiles: [jobs]\n", ""))
    result = app.run("up", "--abort-on-container-exit", "--no-color", "-t", "2", check=False)
    assert result.returncode == 4, result.stderr
    assert "job-1  | second" in result.stdout.splitlines()
    assert app.states() == {"db-1": "exited", "web-1": "exited", "job-1": "exited"}


def test_run_exec_and_logs_flags(app: ComposeApp) -> None:
    app.write(APP)
    (app.directory / "data").mkdir()
    (app.directory / "data" / "note.txt").write_text("from the host\n")
    shown = app.run(
        "run", "--rm", "-T", "--no-deps", "-v", "./data:/mnt:ro", "--entrypoint", "cat", "web",
        "/mnt/note.txt",
    )  # fmt: skip
    assert shown.stdout == "from the host\n"
    assert app.engine().containers.list(all=True) == []  # --no-deps: db was not started
    assert app.engine().networks.exists("app_default")  # but the project's network was made

    app.run("up", "-d", "--scale", "db=2")
    engine = app.engine()
    served = app.run("run", "-d", "--service-ports", "--name", "served", "db").stdout.strip()
    mapped = app.run("run", "-d", "-p", "9090:80", "--name", "mapped", "db").stdout.strip()
    assert (served, mapped) == ("served", "mapped")
    # --service-ports publishes what the service says (none for db), -p what it is given.
    assert engine.networks.published_ports(engine.containers.get("served").id) == []
    ports = engine.networks.published_ports(engine.containers.get("mapped").id)
    assert [(p.host_port, p.container_port) for p in ports] == [(9090, 80)]
    app.run("stop", "-t", "1", "web")  # its 8080 is free for a one-off container
    app.run("run", "-d", "--service-ports", "--name", "webrun", "--no-deps", "web")
    ports = engine.networks.published_ports(engine.containers.get("webrun").id)
    assert [(p.host_port, p.container_port) for p in ports] == [(8080, 80)]

    assert app.run("exec", "-T", "-u", "nobody", "db", "id", "-u").stdout == "65534\n"
    first = app.run("exec", "-T", "--index", "1", "db", "hostname").stdout
    second = app.run("exec", "-T", "--index", "2", "db", "hostname").stdout
    assert first.strip() and second.strip() and first != second
    unknown = app.run("exec", "-T", "nosuch", "true", check=False)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "pycompose: no such service: nosuch")
    missing = app.run("exec", "-T", "--index", "3", "db", "true", check=False)
    assert "service db has no container number 3" in missing.stderr
    assert app.run("port", "nosuch", "80", check=False).stderr.strip().endswith("nosuch")

    app.run("--profile", "jobs", "up", "job", check=False)
    assert app.run("logs", "--tail", "1", "--no-log-prefix", "job").stdout == "second\n"
    assert app.run("logs", "--since", "10m", "--no-log-prefix", "job").stdout == "first\nsecond\n"
    assert app.run("logs", "--until", "1h", "--no-log-prefix", "job").stdout == ""
    stamped = app.run("logs", "-t", "--no-log-prefix", "job").stdout.splitlines()
    assert [re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ", "", line) for line in stamped] == [
        "first",
        "second",
    ]


def test_config_version_and_no_build(app: ComposeApp) -> None:
    app.write(APP)
    assert sorted(app.run("config", "--services").stdout.split()) == ["db", "web"]
    assert "ROLE: web" in app.run("config").stdout
    assert app.run("version").stdout.startswith("pycompose version ")
    app.write("services:\n  site:\n    build: .\n")
    (app.directory / "Dockerfile").write_text("FROM busybox\n")
    refused = app.run("up", "-d", "--no-build", check=False)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "site" in refused.stderr
    assert app.engine().containers.list(all=True) == []


def _on_a_terminal(app: ComposeApp, command: str) -> subprocess.CompletedProcess[str]:
    """`pycompose COMMAND` with a terminal as stdin and stdout (script(1) gives it one)."""
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(app.directory), **app.env}
    return subprocess.run(
        ["script", "-qec", f"{PYCOMPOSE} {command}", "/dev/null"],
        cwd=app.directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_exec_gets_a_terminal_when_it_has_one(app: ComposeApp) -> None:
    app.write(APP)
    app.run("up", "-d", "db")
    plain = app.run("exec", "db", "sh", "-c", "tty; echo $TERM")
    assert plain.stdout.splitlines()[0] == "not a tty"
    shown = _on_a_terminal(app, "exec db sh -c 'tty; exit 3'")  # -it by default
    assert shown.returncode == 3, shown.stdout + shown.stderr
    # What `script` passes on when its own input ends reaches the container's terminal
    # ahead of the shell, and that terminal echoes it (`^@`) before `tty` answers.
    assert re.search(r"/dev/pts/\d+\r?$", shown.stdout, re.MULTILINE), shown.stdout
    assert "not a tty" in _on_a_terminal(app, "exec -T db tty").stdout
