"""A registry that misbehaves: every pull fails with one clear line, within its timeout, and
leaves the store as it was (no blob, snapshot, scratch file or image)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.errors import EngineError
from runtime.images.pull import pull_image
from runtime.images.transport import Transport
from runtime.store import Store
from tests.support.hostile_registry import (
    MIB,
    OCI_INDEX,
    OCI_MANIFEST,
    REPOSITORY,
    Image,
    _Handler,
    endless,
    hostile_registry,
)
from tests.support.stores import assert_store_empty, make_store

TIMEOUT = 1.5
# Three tries per blob, each ending in at most a few timeouts: far below this, or it hangs.
NO_HANG = 60


def _on(part: str, misbehave: Callable[[_Handler], None]) -> Callable[[_Handler], None]:
    """Misbehave on requests whose path holds `part`; answer the rest correctly."""

    def behaviour(handler: _Handler) -> None:
        if part in handler.path:
            misbehave(handler)
        else:
            handler.serve_image()

    return behaviour


MANIFEST = f"/v2/{REPOSITORY}/manifests/"
BLOB = f"/v2/{REPOSITORY}/blobs/"


def _wrong_digest_header(h: _Handler) -> None:
    h.answer(200, h.server.image.manifest, OCI_MANIFEST, Docker_Content_Digest="sha256:" + "1" * 64)


def _corrupt_layer(h: _Handler) -> None:
    blob = h.server.image.blobs().get(h.path.rsplit("/", 1)[1], b"")
    if blob is h.server.image.layer:
        blob = blob[:-1] + bytes([blob[-1] ^ 1])
    h.answer(200, blob, "application/octet-stream")


def _truncated(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b'{"schemaVersion": 2')
    h.close_connection = True


def _truncated_blob(h: _Handler) -> None:
    if h.path.endswith(h.server.image.manifest_digest_of_layer()):
        _truncated(h)
    else:
        h.serve_image()


def _redirect(location: str) -> Callable[[_Handler], None]:
    def answer(h: _Handler) -> None:
        h.answer(302, b"", Location=location)

    return answer


def _gigabyte(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", OCI_MANIFEST)
    h.send_header("Content-Length", str(1 << 30))
    h.end_headers()
    h.stream(endless())


def _gigabyte_chunked(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", OCI_MANIFEST)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    h.stream(b"%x\r\n%s\r\n" % (MIB, b" " * MIB) for _ in endless())


def _slow_headers(h: _Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    h.trickle(b"Content-Type: " + b"x" * 1000)


def _slow_body(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", OCI_MANIFEST)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.trickle(b" " * 1000)


def _slow_blob(h: _Handler) -> None:
    image = h.server.image
    if h.path.endswith(image.manifest_digest_of_layer()):
        h.send_response(200)
        h.send_header("Content-Length", str(len(image.layer)))
        h.end_headers()
        h.trickle(image.layer, every=0.2)
    else:
        h.serve_image()


def _silent(h: _Handler) -> None:
    h.server.stopping.wait(30)


def _error(status: int, body: bytes = b"") -> Callable[[_Handler], None]:
    return lambda h: h.answer(status, body, "text/html")


def _challenge(header: str) -> Callable[[_Handler], None]:
    return lambda h: h.answer(401, b"", WWW_Authenticate=header)


def _token_answer(answer: Callable[[_Handler], None]) -> Callable[[_Handler], None]:
    """Ask for a bearer token from this same server, whose token endpoint answers `answer`."""

    def behaviour(h: _Handler) -> None:
        if h.path.startswith("/token"):
            answer(h)
        elif "Authorization" not in h.headers:
            realm = f"http://{h.server.host}/token"
            h.answer(401, b"", WWW_Authenticate=f'Bearer realm="{realm}",service="hostile"')
        else:
            h.serve_image()

    return behaviour


def _manifest(make: Callable[[Image], bytes], content_type: str = OCI_MANIFEST) -> Callable:
    def answer(h: _Handler) -> None:
        h.answer(200, make(h.server.image), content_type)

    return answer


def _deep_json(_: Image) -> bytes:
    return b"[" * 3_000_000 + b"]" * 3_000_000


def _index_of_itself(image: Image) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_INDEX,
                    "digest": "sha256:" + "2" * 64,
                    "size": 100,
                    "platform": {"os": "linux", "architecture": "amd64"},
                }
            ],
        }
    ).encode()


MISBEHAVIOURS: dict[str, tuple[Callable[[_Handler], None], str]] = {
    "wrong-manifest-digest": (_on(MANIFEST, _wrong_digest_header), "manifest digest mismatch"),
    "wrong-layer-digest": (_on(BLOB, _corrupt_layer), "digest mismatch"),
    "truncated-manifest": (_on(MANIFEST, _truncated), "cut its answer short"),
    "truncated-layer": (_on(BLOB, _truncated), "truncated"),
    "redirect-loop": (_on(MANIFEST, _redirect("/v2/hostile/app/manifests/latest")), "too many"),
    "redirect-to-a-file-url": (_on(BLOB, _redirect("file:///etc/shadow")), "not HTTP"),
    "redirect-to-plain-http-elsewhere": (
        _on(BLOB, _redirect("http://10.255.255.1/blob")),
        "refusing plain http",
    ),
    "redirect-to-a-broken-url": (_on(MANIFEST, _redirect("http://[::1/x")), "invalid Location"),
    "manifest-of-1gb": (_on(MANIFEST, _gigabyte), "more than 4194304 bytes"),
    "manifest-of-1gb-chunked": (_on(MANIFEST, _gigabyte_chunked), "more than 4194304 bytes"),
    "slow-loris-headers": (_on(MANIFEST, _slow_headers), f"{TIMEOUT:g}s"),
    "slow-loris-manifest-body": (_on(MANIFEST, _slow_body), "timed out"),
    "slow-loris-layer": (_slow_blob, "stalled"),
    "silent-server": (_on(MANIFEST, _silent), f"within {TIMEOUT:g}s"),
    "error-500": (_on(MANIFEST, _error(500)), "500"),
    "error-500-with-10mb-body": (_on(MANIFEST, _error(500, b"<p>" * 3_500_000)), "more than"),
    "layer-error-503": (_on(BLOB, _error(503)), "503"),
    "challenge-without-realm": (_on("/v2/", _challenge('Bearer service="x"')), "without a realm"),
    "challenge-garbage": (_on("/v2/", _challenge("!!!, ,=,")), "does not speak"),
    "challenge-realm-file-url": (
        _on("/v2/", _challenge('Bearer realm="file:///etc/shadow"')),
        "HTTP(S)",
    ),
    "token-refused-forever": (_token_answer(_error(401)), "refused"),
    "token-of-100mb": (_token_answer(lambda h: h.answer(200, b" " * (100 * MIB))), "more than"),
    "token-not-json": (_token_answer(lambda h: h.answer(200, b"<html>")), "unreadable"),
    "manifest-as-html": (_on(MANIFEST, _manifest(lambda i: b"<html>", "text/html")), "manifest"),
    "manifest-nested-3m-deep": (_on(MANIFEST, _manifest(_deep_json)), "manifest"),
    "index-that-names-an-index": (
        _on(MANIFEST, _manifest(_index_of_itself, OCI_INDEX)),
        "manifest",
    ),
    "config-claims-10gb": (
        _on(MANIFEST, _manifest(lambda i: i.manifest_for({"size": 10 << 30}, [{}]))),
        "claims 10737418240 bytes",
    ),
    "layer-larger-than-declared": (
        _on(MANIFEST, _manifest(lambda i: i.manifest_for({}, [{"size": 10}]))),
        "larger than its declared size",
    ),
    "layer-count-mismatch": (
        _on(MANIFEST, _manifest(lambda i: i.manifest_for({}, [{}, {}]))),
        "lists 1 layers but the manifest 2",
    ),
}


@pytest.mark.parametrize("name", sorted(MISBEHAVIOURS))
def test_pull_from_a_misbehaving_registry_fails_cleanly(name: str, tmp_path: Path) -> None:
    behaviour, expected = MISBEHAVIOURS[name]
    store = make_store(tmp_path)
    with hostile_registry(behaviour) as registry:
        started = time.monotonic()
        with pytest.raises(EngineError) as caught:
            pull_image(store, registry.reference, transport=Transport(timeout=TIMEOUT))
        elapsed = time.monotonic() - started
    message = str(caught.value)
    assert expected in message, message
    assert "\n" not in message and len(message) < 1000
    assert elapsed < NO_HANG
    assert_store_empty(store)


def test_the_registry_serves_a_valid_image(tmp_path: Path) -> None:
    # The same server, behaving: so each failure above is the misbehaviour's doing.
    store = make_store(tmp_path)
    with hostile_registry(lambda handler: handler.serve_image()) as registry:
        result = pull_image(store, registry.reference, transport=Transport(timeout=TIMEOUT))
    assert result.image.config["config"]["Cmd"] == ["sh"]


def test_a_config_claiming_a_huge_size_is_never_requested(tmp_path: Path) -> None:
    behaviour, _ = MISBEHAVIOURS["config-claims-10gb"]
    with hostile_registry(behaviour) as registry, pytest.raises(EngineError):
        pull_image(make_store(tmp_path), registry.reference, transport=Transport(timeout=2))
    assert not [path for path in registry.requests if "/blobs/" in path]


def test_store_unchanged_when_an_image_was_there(tmp_path: Path) -> None:
    store: Store = make_store(tmp_path)
    with hostile_registry(lambda handler: handler.serve_image()) as registry:
        pull_image(store, registry.reference, transport=Transport(timeout=TIMEOUT))
    before = sorted(store.blobs)
    behaviour, _ = MISBEHAVIOURS["manifest-of-1gb"]
    with hostile_registry(behaviour) as registry, pytest.raises(EngineError):
        pull_image(store, registry.reference, transport=Transport(timeout=TIMEOUT))
    assert sorted(store.blobs) == before
