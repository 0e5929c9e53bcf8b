"""What a build is asked for and what it gives back, as plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.build.errors import BuildError

if TYPE_CHECKING:
    from runtime.images.imagestore import Image

DEFAULT, HOST, NONE = "default", "host", "none"
_ALIASES = {"": DEFAULT, "default": DEFAULT, "bridge": DEFAULT, "host": HOST, "none": NONE}


def network_mode(name: str | None) -> str:
    """The canonical mode for `--network` / compose `build.network` (BuildError if unknown)."""
    mode = _ALIASES.get((name or "").strip().lower())
    if mode is None:
        raise BuildError(
            f"network mode {name!r} not supported for builds: use default, host or none"
        )
    return mode


@dataclass(frozen=True)
class BuildRequest:
    """`docker build` options: the context and Dockerfile, names, arguments, target, network.

    `dockerfile` is a path (relative to the current directory, as `-f` takes
    it; default `<context>/Dockerfile`); `dockerfile_inline` is the text of one
    instead. `network` is `default`, `host` or `none` for RUN steps.
    """

    context: Path
    dockerfile: Path | None = None
    dockerfile_inline: str | None = None
    tags: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    target: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    network: str = "default"
    no_cache: bool = False
    pull: bool = False


@dataclass(frozen=True)
class BuildResult:
    """The image built, its names, and how many steps ran or came from the cache."""

    image: Image
    tags: tuple[str, ...]
    executed: int
    cached: int

    @property
    def id(self) -> str:
        """The image id (`sha256:...`)."""
        return self.image.id
