"""Networking as a user sees it: published ports answer, `--net container:x` shares the stack."""

from __future__ import annotations

import time
import urllib.request

from tests.support.containers import ContainerCLI


def _get(url: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_published_port_answers_on_loopback(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "web", "-p", "127.0.0.1:18080:8080", "busybox",
           "sh", "-c", "mkdir /www; echo hello-from-web > /www/index.html; httpd -f -p 8080 -h /www")  # fmt: skip
    assert _get("http://127.0.0.1:18080/") == "hello-from-web\n"
    assert cli.ok("container", "port", "web") == "8080/tcp -> 127.0.0.1:18080\n"
    assert cli.ok("container", "port", "web", "8080") == "127.0.0.1:18080\n"
    assert "127.0.0.1:18080->8080/tcp" in cli.ok("container", "ps")
    ports = cli.inspect("web")["NetworkSettings"]["Ports"]
    assert ports == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    cli.ok("container", "stop", "-t", "1", "web")
    cli.ok("container", "start", "web")
    assert _get("http://127.0.0.1:18080/") == "hello-from-web\n"
    cli.ok("container", "rm", "-f", "web")


def test_net_container_shares_the_network_namespace(cli: ContainerCLI) -> None:
    cli.ok("container", "run", "-d", "--name", "owner", "busybox", "sh", "-c",
           "mkdir /www; echo owned > /www/index.html; httpd -f -p 8080 -h /www")  # fmt: skip
    address = cli.inspect("owner")["NetworkSettings"]["IPAddress"]
    result = cli.run("container", "run", "--rm", "--net", "container:owner", "busybox", "sh", "-c",
                     "wget -q -O- http://127.0.0.1:8080/; ip -4 -o addr show eth0")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("owned\n") and f" {address}/" in result.stdout
    none = cli.run("container", "run", "--rm", "--net", "none", "busybox", "ip", "-o", "link")
    assert [line.split(":")[1].strip() for line in none.stdout.splitlines()] == ["lo"]
    refused = cli.run(
        "container", "run", "--rm", "--net", "container:owner", "-p", "80:80", "busybox", "true"
    )
    assert refused.returncode == 1 and "conflicting options" in refused.stderr
    cli.ok("container", "stop", "-t", "0", "owner")
    stopped = cli.run("container", "run", "--rm", "--net", "container:owner", "busybox", "true")
    assert stopped.returncode == 1
    assert stopped.stderr == "pycompose: cannot join network of a non running container: owner\n"
    assert cli.ok("container", "ps", "-a", "--format", "{{.Names}}") == "owner\n"
    cli.ok("container", "rm", "owner")
