"""The images package's exception family."""

from __future__ import annotations

from runtime.errors import EngineError


class ImageError(EngineError):
    """An image operation failed in a way the user can act on."""


class InvalidReference(ImageError):
    """An image reference is not well formed."""


class ImageNotFound(ImageError):
    """No local image matches a reference or an id."""


class ImageInUse(ImageError):
    """An image cannot be removed: a container or a tag still needs it."""


class RegistryError(ImageError):
    """A registry could not be reached, refused a request or answered something invalid."""


class AuthenticationError(RegistryError):
    """A registry refused the credentials (or their absence)."""


class ArchiveError(ImageError):
    """An image archive (docker save tarball, OCI layout) is malformed."""
