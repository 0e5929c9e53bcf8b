"""RUN steps' networks: default (the bridge, with egress), host (the builder's own), none
(loopback only); and a dead build's leftovers swept by the next one."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.build.errors import StepFailed
from runtime.build.workspace import Workspace
from runtime.images.imagestore import ImageStore
from runtime.linux import netns, syscalls
from runtime.network import Networks
from runtime.store import Store
from tests.integration.build.conftest import Builder
from tests.support.layers import overlay_view

# (busybox's wget crashes here; nc speaks enough HTTP)
PROBE = """\
FROM busybox
ARG HOST
ARG PORT
RUN ip -o link show | cut -d: -f2 | tr -d ' ' > /links \\
 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "$HOST" "$PORT" | tail -n 1 > /fetched \\
 && if [ -s /fetched ]; then echo reached; else echo blocked; fi > /egress
"""


@pytest.fixture
def web_server() -> Iterator[int]:
    """An HTTP server on all addresses of the tests' network namespace."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"from the host side\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _probe(
    builder: Builder, store: Store, tmp_path: Path, network: str, host: object, port: int
) -> dict[str, object]:
    context = builder.context({"Dockerfile": PROBE}, name=f"probe-{network}")
    arguments = {"HOST": str(host), "PORT": str(port)}
    result = builder.build(context, network=network, build_args=arguments, no_cache=True)
    image = ImageStore(store).get(result.id)
    with overlay_view(ImageStore(store).lower_dirs(image), tmp_path / f"view-{network}") as root:
        return {
            "links": (root / "links").read_text().split(),
            "egress": (root / "egress").read_text().strip(),
            "fetched": (root / "fetched").read_text(),
        }


def test_default_network_reaches_out_through_the_bridge(
    builder: Builder, store: Store, tmp_path: Path, web_server: int
) -> None:
    gateway = Networks(store).ensure_default().gateway
    found = _probe(builder, store, tmp_path, "default", gateway, web_server)
    links = found["links"]
    assert isinstance(links, list) and links[0] == "lo" and links[1].startswith("eth0")
    assert found["egress"] == "reached"
    assert found["fetched"] == "from the host side\n"
    assert Networks(store).endpoints() == []  # the build's endpoint went with it


def test_none_network_has_loopback_only(
    builder: Builder, store: Store, tmp_path: Path, web_server: int
) -> None:
    gateway = Networks(store).ensure_default().gateway
    found = _probe(builder, store, tmp_path, "none", gateway, web_server)
    assert found["links"] == ["lo"]
    assert found["egress"] == "blocked"


def test_host_network_is_the_builders_own(
    builder: Builder, store: Store, tmp_path: Path, web_server: int
) -> None:
    found = _probe(builder, store, tmp_path, "host", "127.0.0.1", web_server)
    assert found["egress"] == "reached"
    assert found["fetched"] == "from the host side\n"
    listed = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    ours = [line.split(":")[1].strip() for line in listed.splitlines()]
    assert found["links"] == ours


def test_unknown_network_mode_is_refused(builder: Builder) -> None:
    from runtime.build.errors import BuildError

    context = builder.context({"Dockerfile": "FROM busybox\nRUN true\n"})
    with pytest.raises(BuildError, match="network mode 'mynet' not supported for builds"):
        builder.build(context, network="mynet")


def test_dead_build_is_swept_by_the_next(builder: Builder, store: Store) -> None:
    # What a build killed with SIGKILL leaves: its directory with a mount in it,
    # a pinned namespace, and no live lock.
    dead = Workspace(store, "deadbeefdeadbeef")
    dead.directory.mkdir(parents=True)
    (dead.directory / "001-run").mkdir()
    syscalls.mount("tmpfs", dead.directory / "001-run", "tmpfs", 0, "size=1m")
    pin = Networks(store).namespace_path("build-deadbeefdeadbeef-none")
    netns.create(pin)
    context = builder.context({"Dockerfile": "FROM busybox\nRUN echo swept\n"})
    builder.build(context, network="none")
    assert not dead.directory.exists()
    assert not netns.is_pinned(pin) and not pin.exists()
    assert os.listdir(store.layout.tmp) == []


def test_failure_in_a_networked_step_releases_the_network(builder: Builder, store: Store) -> None:
    context = builder.context({"Dockerfile": "FROM busybox\nRUN ip link show eth0 && false\n"})
    with pytest.raises(StepFailed, match="exit code: 1"):
        builder.build(context)
    assert Networks(store).endpoints() == []
    assert os.listdir(store.layout.run_root / "netns") == []
