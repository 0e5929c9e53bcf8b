"""HTTP for registries: TLS or plain by Docker's rules, kept-alive connections, safe redirects.

`http://` is used only for registries on loopback (`localhost`, `127.0.0.0/8`,
`::1`) and those listed as insecure (`PYCOMPOSE_INSECURE_REGISTRIES`, or
`insecure-registries` in `/etc/pycompose/registries.json`); for them HTTPS is
tried first without certificate checks, as Docker does. A redirect to another
host (blob storage) never carries the registry's `Authorization` header.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from runtime.images.errors import RegistryError

INSECURE_ENV = "PYCOMPOSE_INSECURE_REGISTRIES"
REGISTRIES_FILE = Path("/etc/pycompose/registries.json")
CERTS_DIRS = (Path("/etc/pycompose/certs.d"), Path("/etc/docker/certs.d"))
TIMEOUT = 60.0
MAX_REDIRECTS = 10
USER_AGENT = "pycompose/0.1"
_REDIRECTS = (301, 302, 303, 307, 308)


def configured_insecure() -> set[str]:
    """Registries the user marked as insecure (environment and registries.json)."""
    hosts = {h.strip() for h in os.environ.get(INSECURE_ENV, "").split(",") if h.strip()}
    try:
        document = json.loads(REGISTRIES_FILE.read_text())
        hosts.update(str(h) for h in document.get("insecure-registries", []))
    except (OSError, ValueError, AttributeError):
        pass
    return hosts


def is_loopback(host: str) -> bool:
    """Whether a registry host (`name[:port]`) is on loopback."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class Response:
    """An HTTP answer: status, headers, the final URL and the body stream."""

    status: int
    headers: http.client.HTTPMessage
    url: str
    raw: http.client.HTTPResponse

    def read(self) -> bytes:
        try:
            return self.raw.read()
        except (OSError, http.client.HTTPException) as exc:
            raise RegistryError(f"reading {self.url} failed: {exc}") from exc

    def close(self) -> None:
        self.raw.close()

    @property
    def body(self) -> BinaryIO:
        return self.raw

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""


class Transport:
    """Sends requests, choosing the scheme per registry and reusing connections per thread."""

    def __init__(self, insecure: Iterable[str] | None = None):
        self.insecure = set(configured_insecure() if insecure is None else insecure)
        self._schemes: dict[str, str] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def allows_plain_http(self, host: str) -> bool:
        return is_loopback(host) or host in self.insecure

    def base_url(self, host: str) -> str:
        """`https://host` or, for insecure registries without TLS, `http://host`."""
        with self._lock:
            scheme = self._schemes.get(host)
        if scheme is None:
            scheme = "https"
            if self.allows_plain_http(host):
                try:
                    self.request("GET", f"https://{host}/v2/", {}).close()
                except RegistryError:
                    scheme = "http"
            with self._lock:
                self._schemes[host] = scheme
        return f"{scheme}://{host}"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | BinaryIO | None = None,
        *,
        follow_redirects: bool = True,
    ) -> Response:
        """Send a request; follow redirects (dropping Authorization across hosts)."""
        current_headers = {"User-Agent": USER_AGENT, **headers}
        origin = urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, current_headers, body)
            if not follow_redirects or response.status not in _REDIRECTS:
                return response
            location = response.header("Location")
            response.read()
            if not location:
                raise RegistryError(f"{url} redirected without a Location")
            url = urljoin(url, location)
            if urlsplit(url).netloc != origin or urlsplit(url).scheme not in ("https", "http"):
                current_headers = {
                    k: v for k, v in current_headers.items() if k.lower() != "authorization"
                }
            if response.status == 303:
                method, body = "GET", None
        raise RegistryError(f"too many redirects from {url}")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | BinaryIO | None
    ) -> Response:
        parts = urlsplit(url)
        if parts.scheme == "http" and not self.allows_plain_http(parts.netloc):
            raise RegistryError(
                f"refusing plain http to {parts.netloc}: list it in {INSECURE_ENV} to allow it"
            )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        for attempt in (0, 1):
            connection, reused = self._connection(parts.scheme, parts.netloc)
            try:
                connection.request(method, path, body=body, headers=dict(headers))
                raw = connection.getresponse()
            except (ssl.SSLError, ssl.CertificateError) as exc:
                self._drop(parts.scheme, parts.netloc)
                raise RegistryError(f"TLS with {parts.netloc} failed: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(parts.scheme, parts.netloc)
                rewindable = body is None or isinstance(body, bytes)
                if reused and attempt == 0 and rewindable:
                    continue
                raise RegistryError(f"cannot reach {parts.netloc}: {_reason(exc)}") from exc
            self._local.last[(parts.scheme, parts.netloc)] = raw
            return Response(raw.status, raw.headers, url, raw)
        raise AssertionError("unreachable")

    def _connection(self, scheme: str, netloc: str) -> tuple[http.client.HTTPConnection, bool]:
        if not hasattr(self._local, "pool"):
            self._local.pool = {}
            self._local.last = {}
        key = (scheme, netloc)
        connection = self._local.pool.get(key)
        last = self._local.last.get(key)
        if connection is not None and (last is None or last.isclosed()):
            return connection, True
        if connection is not None:
            connection.close()
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                netloc, timeout=TIMEOUT, context=self._tls_context(netloc)
            )
        else:
            connection = http.client.HTTPConnection(netloc, timeout=TIMEOUT)
        self._local.pool[key] = connection
        self._local.last.pop(key, None)
        return connection, False

    def _drop(self, scheme: str, netloc: str) -> None:
        connection = getattr(self._local, "pool", {}).pop((scheme, netloc), None)
        if connection is not None:
            connection.close()

    def _tls_context(self, netloc: str) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.allows_plain_http(netloc):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        for directory in CERTS_DIRS:
            for ca in sorted((directory / netloc).glob("*.crt")):
                context.load_verify_locations(cafile=str(ca))
        return context

    def close(self) -> None:
        """Close this thread's connections."""
        for connection in getattr(self._local, "pool", {}).values():
            connection.close()
        self._local.pool = {}
        self._local.last = {}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return str(exc) or type(exc).__name__
