"""A registry written for tests that misbehaves on purpose, one way per run.

It serves one small, valid image (`hostile/app:latest`: a config and one gzip
layer) over plain HTTP on loopback, and `mode` picks the misbehaviour: wrong
digests, truncated bodies, redirect loops and tricks, endless or slow answers,
errors with huge bodies, malformed authentication challenges, wrong content
types, lying sizes. Slow answers stop as soon as the client goes or the
server stops.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.layers import LayerBuilder

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
REPOSITORY = "hostile/app"
MIB = 1 << 20


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Image:
    """The one image the registry serves: its blobs and manifest, made valid."""

    def __init__(self, layer_content: bytes | None = None) -> None:
        tar = layer_content or LayerBuilder().file("hello", b"hello\n").build()
        self.layer = gzip.compress(tar, mtime=0)
        self.config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [_digest(tar)]},
                "config": {"Cmd": ["sh"]},
            }
        ).encode()
        self.manifest = self.manifest_for({}, [{}])

    def manifest_for(self, config: dict[str, object], layers: list[dict[str, object]]) -> bytes:
        """The image's manifest with fields of its descriptors replaced (one dict per layer)."""
        return json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _digest(self.config),
                    "size": len(self.config),
                    **config,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": _digest(self.layer),
                        "size": len(self.layer),
                        **layer,
                    }
                    for layer in layers
                ],
            }
        ).encode()

    def manifest_digest_of_layer(self) -> str:
        """The digest under which the layer blob is asked for."""
        return _digest(self.layer)

    def blobs(self) -> dict[str, bytes]:
        return {_digest(self.config): self.config, _digest(self.layer): self.layer}


class _Handler(BaseHTTPRequestHandler):
    server: HostileRegistry
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        try:
            self.server.behaviour(self)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # Plain, correct answers the behaviours build on.
    def answer(
        self, status: int, body: bytes = b"", content_type: str = "", **headers: str
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve_image(self) -> None:
        """What a correct registry would answer."""
        image = self.server.image
        if self.path == "/v2/":
            self.answer(200, b"{}", "application/json")
        elif self.path.startswith(f"/v2/{REPOSITORY}/manifests/"):
            self.answer(
                200,
                image.manifest,
                OCI_MANIFEST,
                Docker_Content_Digest=_digest(image.manifest),
            )
        elif self.path.startswith(f"/v2/{REPOSITORY}/blobs/"):
            blob = image.blobs().get(self.path.rsplit("/", 1)[1])
            if blob is None:
                self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', "application/json")
            else:
                self.answer(200, blob, "application/octet-stream")
        else:
            self.answer(404)

    def trickle(self, data: bytes, every: float = 0.3) -> None:
        """Send `data` a byte at a time, until the client or the server gives up."""
        for byte in data:
            if self.server.stopping.wait(every):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def stream(self, pieces: Iterator[bytes]) -> None:
        for piece in pieces:
            if self.server.stopping.is_set():
                return
            self.wfile.write(piece)


Behaviour = Callable[[_Handler], None]


class HostileRegistry(ThreadingHTTPServer):
    """The misbehaving registry: `behaviour(handler)` answers each request."""

    daemon_threads = True

    def __init__(self, behaviour: Behaviour, image: Image | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.image = image or Image()
        self.requests: list[str] = []
        self.stopping = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up mid-answer is what these tests are about: nothing to report."""

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    @property
    def reference(self) -> str:
        return f"{self.host}/{REPOSITORY}:latest"


@contextmanager
def hostile_registry(behaviour: Behaviour, image: Image | None = None) -> Iterator[HostileRegistry]:
    """Run the registry in a thread for the duration of the block."""
    server = HostileRegistry(behaviour, image)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def endless(piece: bytes = b" " * MIB, total: int = 1 << 30) -> Iterator[bytes]:
    """`total` bytes of `piece`, made as they are sent (never held in memory)."""
    sent = 0
    while sent < total:
        yield piece
        sent += len(piece)
