"""Images: which to pull how, and which the project builds and so must push first.

A cluster pulls every image from a registry. An image the project builds
(`build:`) exists only on this machine until `pycompose push` sends it; one
whose name has no registry host (`shop-web`, not `registry.example.com/shop-web`)
cannot be pulled by a cluster at all and is reported as such.
"""

from __future__ import annotations

from specs.model import Project, Service

_PULL_POLICIES = {
    "always": "Always",
    "never": "Never",
    "missing": "IfNotPresent",
    "build": "IfNotPresent",
}


def pull_policy(service: Service) -> str | None:
    """The container's `imagePullPolicy` for the service's `pull_policy` (None: the default)."""
    return _PULL_POLICIES.get(service.pull_policy or "")


def images_to_push(project: Project) -> list[str]:
    """The images the project builds, sorted: they must be pushed before the cluster runs them."""
    return sorted(
        {project.image_name(service) for service in project.services.values() if service.build}
    )


def has_registry(image: str) -> bool:
    """True when the image reference names a registry host (`host.example:5000/name`)."""
    first, slash, _ = image.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")
