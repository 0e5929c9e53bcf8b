"""Services with `build:`: built when missing, rebuilt with --build, recreated when the image
changes, their image removed by `down --rmi local`."""

from __future__ import annotations

from tests.support.compose_apps import IDLE, ComposeApp


def test_build_then_rebuild_recreates_on_a_new_image(app: ComposeApp) -> None:
    app.write(
        f"""
        services:
          web:
            build: ./web
            command: {IDLE}
          db:
            image: busybox
            command: {IDLE}
        """
    )
    (app.directory / "web").mkdir()
    app.write("FROM busybox\nRUN echo one > /version\n", "web/Dockerfile")
    app.run("up", "-d")
    assert app.run("exec", "-T", "web", "cat", "/version").stdout == "one\n"
    first = app.ids()
    assert "Nothing to do" in app.run("up", "-d").stderr
    app.write("FROM busybox\nRUN echo two > /version\n", "web/Dockerfile")
    assert "Nothing to do" in app.run("up", "-d").stderr  # no --build: the image stays
    plan = app.run("up", "--build", "-d").stderr
    assert "app-web-1" in plan
    assert app.run("exec", "-T", "web", "cat", "/version").stdout == "two\n"
    second = app.ids()
    assert first["db-1"] == second["db-1"] and first["web-1"] != second["web-1"]
    assert "web: keep (up to date)" in app.run("up", "--dry-run").stdout
    app.run("down", "--rmi", "local")
    engine = app.engine()
    assert engine.images.resolve("app-web") is None
    assert engine.images.resolve("busybox") is not None
