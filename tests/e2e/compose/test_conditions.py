"""depends_on conditions: waiting for health that never comes fails cleanly; a migration runs
to completion before the app that needs it."""

from __future__ import annotations

from tests.support.compose_apps import IDLE, ComposeApp


def test_unhealthy_dependency_fails_up_naming_it(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          db:
            image: busybox
            command: {IDLE}
            healthcheck:
              test: ["CMD", "false"]
              interval: 1s
              start_interval: 1s
              retries: 2
          api:
            image: busybox
            command: {IDLE}
            depends_on:
              db: {{condition: service_healthy}}
          other:
            image: busybox
            command: {IDLE}
        """
    )
    result = app.run("up", "-d", check=False)
    assert result.returncode == 1
    assert "dependency db (needed by api) is unhealthy" in result.stderr
    assert "Traceback" not in result.stderr
    states = app.states()
    assert states["db-1"] == "running"
    assert states["other-1"] == "running"
    assert "api-1" not in states or states["api-1"] != "running"


def test_dependency_that_exits_fails_the_wait(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          db:
            image: busybox
            command: ["sh", "-c", "exit 3"]
            healthcheck:
              test: ["CMD", "true"]
              interval: 1s
          api:
            image: busybox
            command: {IDLE}
            depends_on:
              db: {{condition: service_healthy}}
        """
    )
    result = app.run("up", "-d", check=False)
    assert result.returncode == 1
    assert "dependency db (needed by api) exited with code 3" in result.stderr


def test_migration_completes_before_the_app(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          db:
            image: busybox
            command: {IDLE}
            volumes: [state:/state]
          migrate:
            image: busybox
            command: ["sh", "-c", "sleep 1; echo v2 > /state/schema"]
            volumes: [state:/state]
            depends_on: [db]
          app:
            image: busybox
            command: ["sh", "-c", "test -f /state/schema || exit 9; trap 'exit 0' TERM; sleep 100000 & wait"]
            volumes: [state:/state]
            depends_on:
              migrate: {{condition: service_completed_successfully}}
        volumes:
          state: {{}}
        """
    )
    app.run("up", "-d")
    states = app.states()
    assert states["migrate-1"] == "exited"
    assert states["app-1"] == "running"
    assert app.container("migrate").state.exit_code == 0
    assert app.run("exec", "-T", "app", "cat", "/state/schema").stdout == "v2\n"


def test_failed_migration_stops_the_app_from_starting(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          migrate:
            image: busybox
            command: ["sh", "-c", "echo bad schema >&2; exit 4"]
          app:
            image: busybox
            command: {IDLE}
            depends_on:
              migrate: {{condition: service_completed_successfully}}
        """
    )
    result = app.run("up", "-d", check=False)
    assert result.returncode == 1
    assert "dependency migrate (needed by app) exited with code 4" in result.stderr
    assert "app-1" not in app.states()


def test_optional_dependency_failure_is_a_warning(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          extra:
            image: busybox
            command: ["sh", "-c", "exit 1"]
          app:
            image: busybox
            command: {IDLE}
            depends_on:
              extra: {{condition: service_completed_successfully, required: false}}
        """
    )
    result = app.run("up", "-d")
    assert "optional" in result.stderr
    assert app.states()["app-1"] == "running"
