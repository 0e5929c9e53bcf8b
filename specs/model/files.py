"""Configs and secrets: files given to containers, and how a service mounts them."""

from __future__ import annotations

from pydantic import Field, model_validator

from specs.model.base import SpecModel
from specs.model.scalars import ContainerPath, FileMode

CONFIG_SOURCES = ("file", "content", "environment")
SECRET_SOURCES = ("file", "environment")


class _Source(SpecModel):
    name: str
    """The real name: `<project>_<key>` unless set, or the key when external."""
    file: str | None = None
    """Absolute path of the file holding the content."""
    environment: str | None = None
    """Name of the variable of the project's environment holding the content."""
    external: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    always_dumped = frozenset({"name"})

    @model_validator(mode="after")
    def _one_source(self) -> _Source:
        kinds = type(self).sources_of()
        given = [f"'{kind}'" for kind in kinds if getattr(self, kind) is not None]
        if self.external:
            if given:
                raise ValueError(f"{given[0]} cannot be set when 'external' is true")
        elif not given:
            choices = ", ".join(f"'{kind}'" for kind in kinds[:-1]) + f" or '{kinds[-1]}'"
            raise ValueError(f"needs {choices} to say where its content comes from")
        elif len(given) > 1:
            raise ValueError(f"sets both {' and '.join(given)}; set only one")
        return self

    @classmethod
    def sources_of(cls) -> tuple[str, ...]:
        return CONFIG_SOURCES if issubclass(cls, Config) else SECRET_SOURCES


class Config(_Source):
    """A config of the project (`configs.<key>`): from a file, inline content or a variable."""

    content: str | None = None
    """The content itself."""

    unsupported = frozenset({"template_driver"})


class Secret(_Source):
    """A secret of the project (`secrets.<key>`): from a file or a variable."""

    unsupported = frozenset({"driver", "driver_opts", "template_driver"})


class FileReference(SpecModel):
    """A config or secret given to a service, and where it appears in the container."""

    source: str
    """The key of the config or secret in the project."""
    target: ContainerPath
    """Absolute path in the container (`/<source>` for configs, `/run/secrets/<source>` for secrets)."""
    uid: str | None = None
    gid: str | None = None
    mode: FileMode | None = None
    """Permission bits; None leaves the default (world-readable, 0444)."""

    always_dumped = frozenset({"source", "target"})
