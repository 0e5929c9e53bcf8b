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
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from runtime.images.errors import RegistryError

INSECURE_ENV = "PYCOMPOSE_INSECURE_REGISTRIES"
REGISTRIES_FILE = Path("/etc/pycompose/registries.json")
CERTS_DIRS = (Path("/etc/pycompose/certs.d"), Path("/etc/docker/certs.d"))
TIMEOUT = 60.0
"""Seconds a registry may stay silent, and the time it has to send a whole small answer."""
MAX_REDIRECTS = 10
# Manifests, tokens and error answers are read whole: Docker's distribution refuses manifests
# over 4 MiB, and so does this reader (a 1 GB "manifest" is an attack, not an image).
MAX_BODY = 4 << 20
# A blob download must move at least this much per TIMEOUT window (a slow-loris never ends).
MIN_RATE = 1024
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


class _Watchdog:
    """Shuts a connection's socket down when an answer takes longer than its deadline.

    A socket timeout bounds each read, not a whole answer: a server that sends a
    byte now and then (slow-loris) would hold a read of headers or of a manifest
    open forever.
    """

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        # The socket of this request: a kept-alive connection may have a new one later.
        self.sock = connection.sock
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


@dataclass
class Response:
    """An HTTP answer: status, headers, the final URL and the body stream."""

    status: int
    headers: http.client.HTTPMessage
    url: str
    raw: http.client.HTTPResponse
    timeout: float = TIMEOUT
    watchdog: _Watchdog | None = None
    finished: bool = False
    """The whole body was read: the connection can carry the next request."""

    def read(self, limit: int = MAX_BODY) -> bytes:
        """The whole (small) body: at most `limit` bytes, within the transport's timeout."""
        try:
            data = self.raw.read(limit + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise self._broken(exc) from exc
        finally:
            self._disarm()
        if len(data) > limit:
            self.raw.close()
            raise RegistryError(
                f"{self.url} sent more than {limit} bytes, the limit for this answer"
            )
        if self.watchdog is not None and self.watchdog.fired:
            raise self._broken(TimeoutError())
        if self.raw.length:  # http.client returns a short body silently
            raise RegistryError(f"{self.url} cut its answer short ({len(data)} bytes came)")
        self.finished = True
        return data

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body piece by piece; fail if it moves under MIN_RATE bytes a second for a while."""
        self._disarm()
        window_start, window_bytes = time.monotonic(), 0
        while True:
            try:
                chunk = self.raw.read1(size)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise self._broken(exc) from exc
            if not chunk:
                self.finished = not self.raw.length
                return
            window_bytes += len(chunk)
            now = time.monotonic()
            if now - window_start >= self.timeout:
                if window_bytes < MIN_RATE * self.timeout:
                    raise RegistryError(
                        f"reading {self.url} stalled: under {MIN_RATE} bytes a second "
                        f"for {self.timeout:g}s"
                    )
                window_start, window_bytes = now, 0
            yield chunk

    def _disarm(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()

    def _broken(self, exc: BaseException) -> RegistryError:
        if (self.watchdog is not None and self.watchdog.fired) or isinstance(
            exc, TimeoutError | socket.timeout
        ):
            return RegistryError(f"reading {self.url} timed out after {self.timeout:g}s")
        return RegistryError(f"reading {self.url} failed: {exc}")

    def close(self) -> None:
        self._disarm()
        self.raw.close()

    @property
    def body(self) -> BinaryIO:
        self._disarm()
        return self.raw

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""


class Transport:
    """Sends requests, choosing the scheme per registry and reusing connections per thread."""

    def __init__(self, insecure: Iterable[str] | None = None, timeout: float = TIMEOUT):
        self.insecure = set(configured_insecure() if insecure is None else insecure)
        self.timeout = timeout
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
            try:
                url = urljoin(url, location)
                urlsplit(url).port  # noqa: B018 - raises on a malformed host or port
            except ValueError:
                raise RegistryError(
                    f"{response.url} redirected to an invalid Location {location!r}"
                ) from None
            if urlsplit(url).scheme not in ("https", "http"):
                raise RegistryError(f"{response.url} redirected to {url!r}, which is not HTTP")
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
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise RegistryError(f"refusing {url!r}: a registry speaks HTTP(S) to a host")
        if parts.scheme == "http" and not self.allows_plain_http(parts.netloc):
            raise RegistryError(
                f"refusing plain http to {parts.netloc}: list it in {INSECURE_ENV} to allow it"
            )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        for attempt in (0, 1):
            connection, reused = self._connection(parts.scheme, parts.netloc)
            watchdog: _Watchdog | None = None
            try:
                connection.request(method, path, body=body, headers=dict(headers))
                # From here the whole answer (headers, and a small body) has a deadline.
                watchdog = _Watchdog(connection, self.timeout)
                raw = connection.getresponse()
            except (ssl.SSLError, ssl.CertificateError) as exc:
                self._drop(parts.scheme, parts.netloc)
                raise RegistryError(f"TLS with {parts.netloc} failed: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                if watchdog is not None:
                    watchdog.cancel()
                self._drop(parts.scheme, parts.netloc)
                # Asked, then no answer in time: the watchdog, or the socket's own timeout
                # (the same length) when it comes first.
                if watchdog is not None and (watchdog.fired or isinstance(exc, TimeoutError)):
                    raise RegistryError(
                        f"{parts.netloc} did not answer within {self.timeout:g}s"
                    ) from exc
                rewindable = body is None or isinstance(body, bytes)
                if reused and attempt == 0 and rewindable:
                    continue
                raise RegistryError(f"cannot reach {parts.netloc}: {_reason(exc)}") from exc
            response = Response(raw.status, raw.headers, url, raw, self.timeout, watchdog)
            self._local.last[(parts.scheme, parts.netloc)] = response
            return response
        raise AssertionError("unreachable")

    def _connection(self, scheme: str, netloc: str) -> tuple[http.client.HTTPConnection, bool]:
        if not hasattr(self._local, "pool"):
            self._local.pool = {}
            self._local.last = {}
        key = (scheme, netloc)
        connection = self._local.pool.get(key)
        last = self._local.last.get(key)
        # A connection whose last answer was left half read has the rest of it still coming.
        if connection is not None and (last is None or last.finished):
            return connection, True
        if connection is not None:
            connection.close()
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                netloc, timeout=self.timeout, context=self._tls_context(netloc)
            )
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
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
