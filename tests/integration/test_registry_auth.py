"""Registry authentication for real: htpasswd Basic auth, bearer tokens, redirects to storage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runtime.images.credentials import Credentials, store_credentials
from runtime.images.errors import AuthenticationError
from runtime.images.imagestore import ImageStore
from runtime.images.pull import pull_image
from runtime.images.push import push_image
from runtime.images.reference import parse_reference
from runtime.images.registry import RegistryClient
from runtime.images.transport import Transport
from runtime.store import Layout, Store
from tests.support.images import busybox_image
from tests.support.registry import RegistryServer, TokenIssuer, free_port

USERS = {"alice": "wonderland"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(Layout(root=tmp_path / "root", run_root=tmp_path / "run"))


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "docker-config"
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    return directory / "config.json"


@pytest.fixture
def basic_registry(tmp_path: Path) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path / "registry", htpasswd=USERS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[TokenIssuer]:
    tokens = TokenIssuer(tmp_path, users=dict(USERS)).start()
    try:
        yield tokens
    finally:
        tokens.stop()


@pytest.fixture
def token_registry(tmp_path: Path, issuer: TokenIssuer) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path / "registry", issuer=issuer).start()
    try:
        yield server
    finally:
        server.stop()


def _roundtrip(store: Store, host: str) -> None:
    busybox_image(store)
    images = ImageStore(store)
    name = f"{host}/team/busybox:1"
    images.tag(images.get("busybox").id, parse_reference(name))
    pushed = push_image(store, name)
    images.untag(parse_reference(name))
    pulled = pull_image(store, name)
    assert pulled.digest == pushed.digest
    assert pulled.image.id == images.get("busybox").id


def test_basic_auth(store: Store, basic_registry: RegistryServer, docker_config: Path) -> None:
    busybox_image(store)
    name = f"{basic_registry.host}/team/busybox:1"
    ImageStore(store).tag(ImageStore(store).get("busybox").id, parse_reference(name))
    with pytest.raises(AuthenticationError, match=f"pycompose login {basic_registry.host}"):
        push_image(store, name)
    store_credentials(basic_registry.host, Credentials("alice", "wrong"))
    with pytest.raises(AuthenticationError, match="refused access to team/busybox for alice"):
        push_image(store, name)
    store_credentials(basic_registry.host, Credentials("alice", "wonderland"))
    assert json.loads(docker_config.read_text())["auths"][basic_registry.host]["auth"]
    _roundtrip(store, basic_registry.host)


def test_token_auth(
    store: Store, token_registry: RegistryServer, issuer: TokenIssuer, docker_config: Path
) -> None:
    with pytest.raises(AuthenticationError, match="login"):
        pull_image(store, f"{token_registry.host}/team/busybox:1")
    store_credentials(token_registry.host, Credentials("alice", "wrong"))
    with pytest.raises(AuthenticationError, match="refused by the token service"):
        pull_image(store, f"{token_registry.host}/team/busybox:1")
    store_credentials(token_registry.host, Credentials("alice", "wonderland"))
    issuer.requests.clear()
    _roundtrip(store, token_registry.host)
    asked = [scope for request in issuer.requests for scope in request["scopes"]]
    assert "repository:team/busybox:pull,push" in asked
    assert "repository:team/busybox:pull" in asked
    assert all(request["user"] == "alice" for request in issuer.requests)
    # Tokens are cached per scope: a whole push and pull asks only a handful of times.
    assert len(issuer.requests) <= 4


def test_identity_token(
    store: Store, token_registry: RegistryServer, issuer: TokenIssuer, docker_config: Path
) -> None:
    issuer.refresh_tokens["refresh-abc"] = "alice"
    store_credentials(token_registry.host, Credentials(identity_token="refresh-abc"))
    issuer.requests.clear()
    _roundtrip(store, token_registry.host)
    assert issuer.requests and all(r["user"] == "alice" for r in issuer.requests)
    store_credentials(token_registry.host, Credentials(identity_token="stale"))
    with pytest.raises(AuthenticationError, match="refused by the token service"):
        pull_image(store, f"{token_registry.host}/team/busybox:1")


def test_login_check_refuses_bad_password(token_registry: RegistryServer) -> None:
    probe = parse_reference(f"{token_registry.host}/pycompose/login-probe")
    good = RegistryClient(probe, credentials=Credentials("alice", "wonderland"))
    good.scope = ""
    good.ping()
    bad = RegistryClient(probe, credentials=Credentials("alice", "nope"))
    bad.scope = ""
    with pytest.raises(AuthenticationError):
        bad.ping()


class _Recorder:
    """Two tiny servers: the 'registry' redirects to 'storage' on another loopback address."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.storage_port = free_port()
        recorder = self

        class Registry(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.seen.append(
                    {"server": "registry", "auth": self.headers.get("Authorization")}
                )
                self.send_response(307)
                self.send_header(
                    "Location", f"http://127.0.0.2:{recorder.storage_port}/bucket/blob"
                )
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Storage(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.seen.append(
                    {"server": "storage", "auth": self.headers.get("Authorization")}
                )
                self.send_response(200)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"blob")

            def log_message(self, *args: Any) -> None:
                pass

        self.registry = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
        self.storage = ThreadingHTTPServer(("127.0.0.2", self.storage_port), Storage)
        for server in (self.registry, self.storage):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in (self.registry, self.storage):
            server.shutdown()
            server.server_close()


def test_redirect_to_storage_drops_authorization() -> None:
    recorder = _Recorder()
    try:
        port = recorder.registry.server_address[1]
        transport = Transport(insecure=[])
        response = transport.request(
            "GET",
            f"http://127.0.0.1:{port}/v2/x/blobs/sha256:00",
            {"Authorization": "Bearer secret"},
        )
        assert response.read() == b"blob"
    finally:
        recorder.close()
    assert recorder.seen == [
        {"server": "registry", "auth": "Bearer secret"},
        {"server": "storage", "auth": None},
    ]
