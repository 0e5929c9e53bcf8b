"""A real registry for tests: Debian's `docker-registry` on loopback, and a small token issuer.

`RegistryServer` writes a config.yml into a temporary directory and runs
/usr/bin/docker-registry on 127.0.0.1 (anonymous, htpasswd Basic auth, or token
auth). `TokenIssuer` is a bearer-token service in a thread of the test process:
it checks Basic credentials and signs JWTs (RS256, `x5c` header) with a key
whose self-signed certificate the registry trusts through `rootcertbundle`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REGISTRY = "/usr/bin/docker-registry"
SERVICE = "pycompose-test-registry"
ISSUER = "pycompose-test-issuer"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenIssuer:
    """A bearer-token endpoint: Basic-authenticated users get the scopes they ask for."""

    directory: Path
    users: dict[str, str] = field(default_factory=dict)
    anonymous_pull: bool = False
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lifetime: int = 300

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        from tests.support.certificates import ca_certificate

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = ca_certificate(ISSUER, self._key)
        self.certificate_path = self.directory / "issuer.pem"
        self.certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> TokenIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def sign(self, subject: str, access: list[dict[str, Any]]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + self.lifetime,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _answer(self, headers: Any, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        user = ""
        authorization = headers.get("Authorization") or ""
        if "refresh_token" in query:  # OAuth2 form POST with an identity token
            user = self.refresh_tokens.get(query["refresh_token"][0], "")
            if not user:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]}
            query = {
                **query,
                "scope": [s for v in query.get("scope", []) for s in v.split(" ") if s],
            }
        elif authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if self.users.get(user) != password:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")[0], scope.split(":")[1], scope.split(":")[2]
            granted = actions.split(",") if user else (["pull"] if self.anonymous_pull else [])
            granted = [a for a in actions.split(",") if a in granted]
            access.append({"type": kind, "name": name, "actions": granted})
        self.requests.append({"user": user, "scopes": query.get("scope", [])})
        return 200, {"token": self.sign(user, access), "expires_in": self.lifetime}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = issuer._answer(self.headers, parse_qs(urlsplit(self.path).query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                status, body = issuer._answer(self.headers, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@dataclass
class RegistryServer:
    """docker-registry on 127.0.0.1:<port> with its storage in `directory`."""

    directory: Path
    htpasswd: dict[str, str] | None = None
    issuer: TokenIssuer | None = None
    relative_urls: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def storage(self) -> Path:
        return self.directory / "data"

    def blob_data(self, digest: str) -> Path:
        """Where the registry keeps a blob's bytes (to corrupt them on purpose)."""
        hex_ = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"

    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.storage}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            f"  secret: {secrets.token_hex(16)}",
            f"  relativeurls: {'true' if self.relative_urls else 'false'}",
        ]
        if self.htpasswd is not None:
            path = self.directory / "htpasswd"
            path.write_text("")
            for user, password in self.htpasswd.items():
                subprocess.run(
                    ["htpasswd", "-B", "-b", str(path), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["auth:", "  htpasswd:", "    realm: pycompose-test", f"    path: {path}"]
        elif self.issuer is not None:
            lines += [
                "auth:",
                "  token:",
                f"    realm: {self.issuer.realm}",
                f"    service: {SERVICE}",
                f"    issuer: {ISSUER}",
                f"    rootcertbundle: {self.issuer.certificate_path}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> RegistryServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "config.yml"
        config.write_text(self._config())
        with open(self.directory / "registry.log", "wb") as log:
            self.process = subprocess.Popen(
                [REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log()}")
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # 401: up and asking for credentials
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not start: {self.log()}")

    def log(self) -> str:
        try:
            return (self.directory / "registry.log").read_text()[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryServer]:
    """A registry on loopback for one test (import this fixture into a test module)."""
    server = RegistryServer(tmp_path / "registry").start()
    try:
        yield server
    finally:
        server.stop()
