"""An app with a service on the bootstrapped Debian image beside busybox ones: names resolve
across the project network and the healthcheck gates the dependent."""

from __future__ import annotations

import pytest

from tests.support.compose_apps import IDLE, ComposeApp


@pytest.fixture
def debian_app(app: ComposeApp) -> ComposeApp:
    from tests.support.images import debian_image

    try:
        debian_image(app.store)
    except Exception as exc:  # no cached bootstrap and no archive to make one
        pytest.skip(f"cannot make the Debian image here: {exc}")
    return app


def test_debian_service_talks_to_busybox_service(debian_app: ComposeApp) -> None:
    app = debian_app
    app.write(
        f"""
        services:
          web:
            image: busybox
            command: ["sh", "-c", "mkdir -p /www && echo hello from busybox > /www/index.html && exec httpd -f -p 80 -h /www"]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/"]
              interval: 1s
              start_interval: 1s
          client:
            image: debian:bookworm
            command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
            depends_on:
              web: {{condition: service_healthy}}
            healthcheck:
              test: ["CMD-SHELL", "test -f /etc/debian_version"]
              interval: 1s
              start_interval: 1s
          tail:
            image: busybox
            command: {IDLE}
            depends_on:
              client: {{condition: service_healthy}}
        """
    )
    app.run("up", "-d", "--wait", "--wait-timeout", "60")
    assert app.states() == {"web-1": "running", "client-1": "running", "tail-1": "running"}
    fetch = (
        "exec 3<>/dev/tcp/web/80; printf 'GET / HTTP/1.0\\r\\nHost: web\\r\\n\\r\\n' >&3; cat <&3"
    )
    reply = app.run("exec", "-T", "client", "bash", "-c", fetch).stdout
    assert reply.startswith("HTTP/1.") and "hello from busybox" in reply
    assert "bookworm" in app.run("exec", "-T", "client", "cat", "/etc/os-release").stdout
