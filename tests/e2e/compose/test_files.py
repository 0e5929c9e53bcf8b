"""Configs and secrets: mounted at their targets with their owner and mode; a content change
recreates exactly the services that use them."""

from __future__ import annotations

from tests.support.compose_apps import IDLE, ComposeApp

APP = f"""
services:
  web:
    image: busybox
    command: {IDLE}
    configs:
      - site
      - source: motd
        target: /etc/motd
        mode: 0440
        uid: "1000"
        gid: "1001"
    secrets: [token]
  other:
    image: busybox
    command: {IDLE}
configs:
  site:
    file: ./site.conf
  motd:
    content: "hello ${{WHO}}"
secrets:
  token:
    environment: TOKEN
"""


def test_configs_and_secrets_are_mounted_and_followed(app: ComposeApp) -> None:
    app.write(APP)
    app.write("listen 80\n", "site.conf")
    app.run("up", "-d", WHO="world", TOKEN="s3cret")
    assert app.run("exec", "-T", "web", "cat", "/site").stdout == "listen 80\n"
    assert app.run("exec", "-T", "web", "cat", "/run/secrets/token").stdout == "s3cret"
    motd = app.run("exec", "-T", "web", "stat", "-c", "%a %u %g", "/etc/motd").stdout.split()
    assert motd == ["440", "1000", "1001"]
    assert app.run("exec", "-T", "web", "cat", "/etc/motd").stdout == "hello world"
    writable = app.run("exec", "-T", "web", "sh", "-c", "echo x > /site", check=False)
    assert writable.returncode != 0
    before = app.ids()
    app.write("listen 8080\n", "site.conf")
    plan = app.run("up", "--dry-run", WHO="world", TOKEN="s3cret").stdout
    assert "web: recreate (configs and secrets content changed)" in plan
    app.run("up", "-d", WHO="world", TOKEN="s3cret")
    after = app.ids()
    assert before["other-1"] == after["other-1"]
    assert before["web-1"] != after["web-1"]
    assert app.run("exec", "-T", "web", "cat", "/site").stdout == "listen 8080\n"
    app.run("up", "-d", WHO="world", TOKEN="changed")
    assert app.run("exec", "-T", "web", "cat", "/run/secrets/token").stdout == "changed"
