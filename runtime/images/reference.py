"""Image references, parsed and normalised the way Docker does.

`flask` is `docker.io/library/flask:latest`; a first component with a dot, a
colon or named `localhost` is a registry host (`localhost:5000/a/b`); a
reference may carry a tag, a digest or both (`name:tag@sha256:...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.images.errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
NAME_MAX_LENGTH = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_DOMAIN_RE = re.compile(
    r"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$"
)
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_SHA256_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_ID_RE = re.compile(r"^(?:sha256:)?[0-9a-f]{64}$")


@dataclass(frozen=True)
class Reference:
    """A normalised image reference: registry domain, repository path, tag and/or digest."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """`docker.io/library/debian`."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_repository(self) -> str:
        """The short form Docker shows: `debian`, `user/app`, `localhost:5000/app`."""
        if self.domain == DEFAULT_DOMAIN:
            return self.path.removeprefix(OFFICIAL_PREFIX)
        return self.repository

    @property
    def api_host(self) -> str:
        """The host:port to speak the registry API to (Docker Hub's is not docker.io)."""
        return DOCKER_HUB_API_HOST if self.domain == DEFAULT_DOMAIN else self.domain

    @property
    def auth_key(self) -> str:
        """The key of this registry in ~/.docker/config.json `auths`."""
        return DOCKER_HUB_AUTH_KEY if self.domain == DEFAULT_DOMAIN else self.domain

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)

    @property
    def tagged_name(self) -> str:
        """`docker.io/library/debian:bookworm` (the tag, `latest` if none)."""
        return f"{self.repository}:{self.tag or DEFAULT_TAG}"

    @property
    def familiar(self) -> str:
        return _join(self.familiar_repository, self.tag, self.digest)

    def __str__(self) -> str:
        return _join(self.repository, self.tag, self.digest)


def _join(repository: str, tag: str | None, digest: str | None) -> str:
    text = repository
    if tag:
        text += f":{tag}"
    if digest:
        text += f"@{digest}"
    return text


def parse_reference(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise `text`; add the `latest` tag when there is neither tag nor digest."""
    original = text
    if not text:
        raise InvalidReference("invalid reference format: the reference is empty")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise InvalidReference(f"invalid reference format: bad digest in {original!r}")
        if digest.startswith("sha256:") and not _SHA256_RE.match(digest):
            raise InvalidReference(f"invalid reference format: bad sha256 digest in {original!r}")
    tag = None
    last_slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > last_slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise InvalidReference(f"invalid reference format: bad tag {tag!r} in {original!r}")
    domain, path = split_domain(text, original)
    if not _PATH_RE.match(path):
        if path.lower() != path and _PATH_RE.match(path.lower()):
            raise InvalidReference(
                f"invalid reference format: repository name must be lowercase: {original!r}"
            )
        raise InvalidReference(f"invalid reference format: {original!r}")
    if len(domain) + 1 + len(path) > NAME_MAX_LENGTH:
        raise InvalidReference(
            f"invalid reference format: repository name longer than {NAME_MAX_LENGTH} characters"
        )
    if tag is None and digest is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def split_domain(name: str, original: str) -> tuple[str, str]:
    """Split `name` into registry domain and repository path, Docker's way."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _DOMAIN_RE.match(first):
            raise InvalidReference(f"invalid reference format: bad registry host in {original!r}")
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, name
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def looks_like_id(text: str) -> bool:
    """Whether `text` is a full image id (`sha256:<64 hex>` or 64 hex)."""
    return bool(_ID_RE.match(text))


def is_id_prefix(text: str) -> bool:
    """Whether `text` could be a short image id (hex, at least 4 characters)."""
    bare = text.removeprefix("sha256:")
    return 4 <= len(bare) <= 64 and all(c in "0123456789abcdef" for c in bare)
