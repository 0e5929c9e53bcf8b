"""`up` converges: dependency order, nothing done twice, exactly the changed services recreated,
scale, orphans, and `down -v` leaving nothing."""

from __future__ import annotations

from tests.support.compose_apps import IDLE, ComposeApp

APP = f"""
services:
  db:
    image: busybox
    command: {IDLE}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      start_interval: 1s
    volumes: [data:/data]
  api:
    image: busybox
    command: {IDLE}
    depends_on:
      db: {{condition: service_healthy}}
    environment: {{ROLE: api}}
    env_file: [api.env]
  web:
    image: busybox
    command: {IDLE}
    depends_on: [api]
    environment: {{ROLE: web}}
  sidecar:
    image: busybox
    command: {IDLE}
    network_mode: "service:web"
  worker:
    image: busybox
    command: {IDLE}
    depends_on: [db]
volumes:
  data: {{}}
"""


def start_app(app: ComposeApp, text: str = APP) -> None:
    app.write(text)
    app.write("TOKEN=one\n", "api.env")
    app.run("up", "-d")


def started_at(app: ComposeApp, service: str) -> str:
    return app.container(service).state.started_at


def test_dependencies_start_first_and_healthy_means_healthy(app: ComposeApp) -> None:
    start_app(app)
    assert app.states() == {
        "db-1": "running",
        "api-1": "running",
        "web-1": "running",
        "sidecar-1": "running",
        "worker-1": "running",
    }
    assert started_at(app, "db") < started_at(app, "api") < started_at(app, "web")
    assert started_at(app, "web") < started_at(app, "sidecar")
    assert started_at(app, "db") < started_at(app, "worker")
    events = list(
        app.engine().containers.events(filters={"label": ["com.docker.compose.project=app"]})
    )
    db = app.container("db").id
    api = app.container("api").id
    healthy = next(
        i
        for i, e in enumerate(events)
        if e.container_id == db and e.action.startswith("health_status") and "healthy" in e.action
    )
    api_start = next(
        i for i, e in enumerate(events) if e.container_id == api and e.action == "start"
    )
    assert healthy < api_start
    # The sidecar lives in web's network namespace: same addresses.
    web_net = app.run("exec", "-T", "web", "cat", "/proc/net/fib_trie").stdout
    sidecar_net = app.run("exec", "-T", "sidecar", "cat", "/proc/net/fib_trie").stdout
    assert web_net == sidecar_net


def test_second_up_does_nothing_and_says_so(app: ComposeApp) -> None:
    start_app(app)
    before = app.ids()
    result = app.run("up", "-d")
    assert "Nothing to do: 5 containers up to date" in result.stderr
    assert app.ids() == before
    assert app.run("up", "--dry-run").stdout.splitlines() == [
        "db: keep (up to date)",
        "api: keep (up to date)",
        "web: keep (up to date)",
        "sidecar: keep (up to date)",
        "worker: keep (up to date)",
    ]


def test_changed_environment_recreates_that_service_and_its_namespace_dependents(
    app: ComposeApp,
) -> None:
    start_app(app)
    before = app.ids()
    app.write(APP.replace("ROLE: web", "ROLE: front"))
    plan = app.run("up", "--dry-run").stdout.splitlines()
    assert "web: recreate (environment changed)" in plan
    assert "sidecar: recreate (shares the namespaces of web, recreated)" in plan
    assert "api: keep (up to date)" in plan
    app.run("up", "-d")
    after = app.ids()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"web-1", "sidecar-1"}
    assert app.run("exec", "-T", "web", "sh", "-c", "echo $ROLE").stdout.strip() == "front"
    assert app.states()["sidecar-1"] == "running"


def test_changed_env_file_content_recreates_its_service(app: ComposeApp) -> None:
    start_app(app)
    before = app.ids()
    app.write("TOKEN=two\n", "api.env")
    assert "api: recreate (environment changed)" in app.run("up", "--dry-run").stdout
    app.run("up", "-d")
    after = app.ids()
    assert {name for name in before if before[name] != after[name]} == {"api-1"}
    assert app.run("exec", "-T", "api", "sh", "-c", "echo $TOKEN").stdout.strip() == "two"


def test_scale_up_and_down(app: ComposeApp) -> None:
    start_app(app)
    app.run("up", "-d", "--scale", "worker=3")
    states = app.states()
    assert [name for name in states if name.startswith("worker")] == [
        "worker-1",
        "worker-2",
        "worker-3",
    ]
    first = app.ids()["worker-1"]
    app.run("up", "-d", "--scale", "worker=1")
    states = app.states()
    assert [name for name in states if name.startswith("worker")] == ["worker-1"]
    assert app.ids()["worker-1"] == first


def test_orphans_are_reported_then_removed(app: ComposeApp) -> None:
    start_app(app)
    app.write(
        APP.replace(
            "  worker:\n    image: busybox\n    command: " + IDLE + "\n    depends_on: [db]\n", ""
        )
    )
    result = app.run("up", "-d")
    assert "orphan containers of services worker" in result.stderr
    assert "worker-1" in app.states()
    app.run("up", "-d", "--remove-orphans")
    assert "worker-1" not in app.states()


def test_down_removes_everything(app: ComposeApp) -> None:
    start_app(app)
    engine = app.engine()
    assert engine.networks.exists("app_default")
    assert engine.volumes.exists("app_data")
    app.run("down", "-v")
    assert app.ps() == []
    assert not engine.networks.exists("app_default")
    assert not engine.volumes.exists("app_data")
    assert engine.containers.list(all=True) == []


def test_anonymous_volumes_survive_a_recreation_and_volumes_from_shares_them(
    app: ComposeApp,
) -> None:
    text = f"""
    services:
      store:
        image: busybox
        command: {IDLE}
        environment: {{GENERATION: "1"}}
        volumes: ["/data"]
      reader:
        image: busybox
        command: {IDLE}
        volumes_from: ["store:ro"]
    """
    app.write(text)
    app.run("up", "-d")
    app.run("exec", "-T", "store", "sh", "-c", "echo kept > /data/file")
    assert app.run("exec", "-T", "reader", "cat", "/data/file").stdout == "kept\n"
    denied = app.run("exec", "-T", "reader", "sh", "-c", "echo x > /data/other", check=False)
    assert denied.returncode != 0
    app.write(text.replace('GENERATION: "1"', 'GENERATION: "2"'))
    app.run("up", "-d")
    assert app.run("exec", "-T", "store", "cat", "/data/file").stdout == "kept\n"


def test_up_of_one_service_brings_its_dependencies_unless_no_deps(app: ComposeApp) -> None:
    app.write(APP)
    app.write("TOKEN=one\n", "api.env")
    app.run("up", "-d", "--no-deps", "web")
    assert app.states() == {"web-1": "running"}
    app.run("up", "-d", "api")
    assert app.states() == {"db-1": "running", "api-1": "running", "web-1": "running"}
