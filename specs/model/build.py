"""How to build a service's image."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.model.base import SpecModel


class Build(SpecModel):
    """The build of a service's image (`build:`)."""

    context: str
    """Absolute path of the build context, or a remote context (git or https URL)."""
    dockerfile: str | None = None
    """Absolute path of the Dockerfile (relative ones are resolved against the context);
    None when `dockerfile_inline` is used."""
    dockerfile_inline: str | None = None
    """The Dockerfile itself."""
    args: dict[str, str] = Field(default_factory=dict)
    """Build arguments; arguments without a value take theirs from the environment."""
    target: str | None = None
    """The stage of a multi-stage Dockerfile to build."""
    labels: dict[str, str] = Field(default_factory=dict)
    network: str | None = None
    """Network mode of the build's RUN steps (`default`, `host`, `none`)."""
    tags: list[str] = Field(default_factory=list)
    """More names for the built image."""
    no_cache: bool = False
    """Build without using the build cache."""
    pull: bool = False
    """Pull the base images even when they are present."""

    unsupported = frozenset(
        {
            "additional_contexts",
            "cache_from",
            "cache_to",
            "entitlements",
            "extra_hosts",
            "isolation",
            "no_cache_filter",
            "platforms",
            "privileged",
            "provenance",
            "sbom",
            "secrets",
            "shm_size",
            "ssh",
            "ulimits",
        }
    )
    always_dumped = frozenset({"context"})

    @model_validator(mode="after")
    def _one_dockerfile(self) -> Build:
        if self.dockerfile is not None and self.dockerfile_inline is not None:
            raise ValueError("'dockerfile' and 'dockerfile_inline' cannot both be set")
        return self
