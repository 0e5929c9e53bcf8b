"""The distribution API for one repository: manifests and blobs, read and written.

Every request goes out with the Authorization header cached for its scopes; a
401 is answered once by authenticating for the challenge and retrying.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlencode, urljoin

from runtime.images.auth import Authenticator
from runtime.images.credentials import Credentials, load_credentials
from runtime.images.errors import AuthenticationError, RegistryError
from runtime.images.manifests import ACCEPT
from runtime.images.reference import Reference
from runtime.images.transport import Response, Transport
from runtime.store.blobs import sha256_digest

DEFAULT_CHUNK_SIZE = 64 << 20
MONOLITHIC_LIMIT = 8 << 20
BOOTSTRAP_HINT = (
    "; no registry is needed for Debian: make the image from the Debian archive with "
    "`pycompose image bootstrap {name}`"
)


@dataclass(frozen=True)
class FetchedManifest:
    """Manifest bytes exactly as served, their digest and media type."""

    data: bytes
    digest: str
    media_type: str


def registry_error(response: Response, what: str) -> RegistryError:
    """A RegistryError from an error answer, with the registry's own error codes."""
    body = response.read()
    detail = ""
    try:
        errors = json.loads(body).get("errors") or []
        detail = "; ".join(
            f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors
        )
    except (ValueError, AttributeError):
        detail = body[:200].decode(errors="replace").strip()
    message = f"{what}: {response.status}" + (f" ({detail})" if detail else "")
    if response.status in (401, 403):
        return AuthenticationError(message)
    return RegistryError(message)


class RegistryClient:
    """One repository of one registry, with credentials from Docker's config file."""

    def __init__(
        self,
        reference: Reference,
        *,
        transport: Transport | None = None,
        credentials: Credentials | None = None,
        push: bool = False,
    ):
        self.reference = reference
        self.host = reference.api_host
        self.transport = transport or Transport()
        if credentials is None:
            credentials = load_credentials(reference.auth_key)
        self.auth = Authenticator(self.transport, reference.domain, credentials)
        actions = "pull,push" if push else "pull"
        self.scope = f"repository:{reference.path}:{actions}"
        self._base: str | None = None

    @property
    def base(self) -> str:
        if self._base is None:
            self._base = self.transport.base_url(self.host)
        return self._base

    def url(self, path: str) -> str:
        return f"{self.base}/v2/{self.reference.path}/{path}"

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: bytes | BinaryIO | Callable[[], BinaryIO] | None = None,
        *,
        scopes: Sequence[str] = (),
        follow_redirects: bool = True,
    ) -> Response:
        """Send with authentication; on 401, authenticate for the challenge and send again."""
        wanted = [scope for scope in (self.scope, *scopes) if scope]
        headers = dict(headers or {})
        authorization = self.auth.header(wanted)
        for attempt in (0, 1):
            sent = dict(headers)
            if authorization:
                sent["Authorization"] = authorization
            payload = body() if callable(body) else body
            try:
                response = self.transport.request(
                    method, url, sent, payload, follow_redirects=follow_redirects
                )
            except RegistryError as exc:
                raise self._unreachable(exc) from exc
            if response.status == 401 and attempt == 1:
                response.read()
                raise self._refused()
            if response.status != 401:
                return response
            challenge = response.header("WWW-Authenticate")
            response.read()
            authorization = self.auth.challenged(challenge, wanted)
        raise AssertionError("unreachable")

    def _refused(self) -> AuthenticationError:
        domain, repository = self.reference.domain, self.reference.path
        credentials = self.auth.credentials
        if credentials is None:
            return AuthenticationError(
                f"{domain} requires a login to access {repository}: run `pycompose login {domain}`"
            )
        who = credentials.username or "the identity token"
        return AuthenticationError(
            f"{domain} refused access to {repository} for {who} "
            f"(check the permissions, or run `pycompose login {domain}` again)"
        )

    def _unreachable(self, exc: RegistryError) -> RegistryError:
        message = str(exc)
        if self.reference.repository == "docker.io/library/debian":
            message += BOOTSTRAP_HINT.format(name=self.reference.familiar)
        return type(exc)(message)

    def ping(self) -> None:
        """GET /v2/, authenticating if asked: proves the registry and the credentials work."""
        response = self.request("GET", f"{self.base}/v2/")
        if response.status != 200:
            raise registry_error(response, f"{self.host} answered /v2/ with")
        response.read()

    def get_manifest(self, reference: str, accept: str = ACCEPT) -> FetchedManifest:
        """Fetch a manifest or index by tag or digest, verifying the digest it is served with."""
        response = self.request("GET", self.url(f"manifests/{reference}"), {"Accept": accept})
        if response.status == 404:
            response.read()
            joiner = "@" if reference.startswith("sha256:") else ":"
            raise RegistryError(
                f"manifest for {self.reference.repository}{joiner}{reference} not found: "
                "manifest unknown"
            )
        if response.status != 200:
            raise registry_error(response, f"fetching the manifest of {self.reference}")
        data = response.read()
        digest = sha256_digest(data)
        expected = (
            reference
            if reference.startswith("sha256:")
            else response.header("Docker-Content-Digest")
        )
        if expected and expected.startswith("sha256:") and expected != digest:
            raise RegistryError(
                f"manifest digest mismatch for {self.reference}: expected {expected}, got {digest}"
            )
        media_type = response.header("Content-Type").split(";")[0].strip()
        return FetchedManifest(data, digest, media_type)

    def open_blob(self, digest: str) -> Response:
        """Stream a blob (following redirects to blob storage without our Authorization)."""
        response = self.request("GET", self.url(f"blobs/{digest}"))
        if response.status != 200:
            raise registry_error(response, f"fetching blob {digest} of {self.reference.repository}")
        return response

    def has_blob(self, digest: str) -> bool:
        """HEAD the blob: whether the repository already has it."""
        response = self.request("HEAD", self.url(f"blobs/{digest}"))
        response.read()
        if response.status == 200:
            return True
        if response.status == 404:
            return False
        raise registry_error(response, f"checking blob {digest}")

    def mount_blob(self, digest: str, source_path: str) -> str | None:
        """Cross-repository mount; True-ish (None) when mounted, else an upload URL to use."""
        query = urlencode({"mount": digest, "from": source_path})
        response = self.request(
            "POST",
            self.url(f"blobs/uploads/?{query}"),
            {"Content-Length": "0"},
            b"",
            scopes=[f"repository:{source_path}:pull"],
        )
        response.read()
        if response.status == 201:
            return None
        if response.status == 202:
            return self._location(response)
        raise registry_error(response, f"mounting blob {digest} from {source_path}")

    def start_upload(self) -> str:
        response = self.request("POST", self.url("blobs/uploads/"), {"Content-Length": "0"}, b"")
        response.read()
        if response.status != 202:
            raise registry_error(response, f"starting an upload to {self.reference.repository}")
        return self._location(response)

    def _location(self, response: Response) -> str:
        location = response.header("Location")
        if not location:
            raise RegistryError(f"{self.host} started an upload without a Location")
        return urljoin(response.url, location)

    def upload_blob(
        self,
        digest: str,
        size: int,
        open_blob: Callable[[], BinaryIO],
        *,
        location: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        monolithic_limit: int = MONOLITHIC_LIMIT,
        on_sent: Callable[[int], None] | None = None,
    ) -> None:
        """Upload a blob: one PUT when small, PATCH chunks then a closing PUT otherwise."""
        location = location or self.start_upload()
        if size <= monolithic_limit:
            with open_blob() as source:
                data = source.read()
            self._finish(location, digest, data)
            if on_sent:
                on_sent(size)
            return
        offset = 0
        with open_blob() as source:
            while offset < size:
                data = source.read(min(chunk_size, size - offset))
                if not data:
                    raise RegistryError(f"blob {digest} ended early while uploading")
                end = offset + len(data) - 1
                response = self.request(
                    "PATCH",
                    location,
                    {
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(len(data)),
                        "Content-Range": f"{offset}-{end}",
                    },
                    data,
                )
                response.read()
                if response.status not in (202, 204):
                    raise registry_error(response, f"uploading a chunk of {digest}")
                location = self._location(response)
                offset = end + 1
                if on_sent:
                    on_sent(len(data))
        self._finish(location, digest, b"")

    def _finish(self, location: str, digest: str, data: bytes) -> None:
        separator = "&" if "?" in location else "?"
        url = location + separator + urlencode({"digest": digest})
        response = self.request(
            "PUT",
            url,
            {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
            data,
        )
        response.read()
        if response.status not in (201, 204):
            raise registry_error(response, f"completing the upload of {digest}")

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> str:
        """PUT a manifest under a tag or digest; return its digest."""
        response = self.request(
            "PUT", self.url(f"manifests/{reference}"), {"Content-Type": media_type}, data
        )
        response.read()
        if response.status not in (200, 201, 202):
            raise registry_error(response, f"pushing the manifest of {self.reference}")
        return response.header("Docker-Content-Digest") or sha256_digest(data)
