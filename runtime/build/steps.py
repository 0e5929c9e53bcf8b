"""The steps of a planned stage, as pure data for the executor.

A stage's program is its steps in order. Each step records the instruction
it comes from, the expanded action to perform (run a command, copy files,
create the working directory; none for metadata), the image config after
it, its history entry exactly as BuildKit writes it, and its cache inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.build.cache_keys import CacheInputs
from runtime.build.image_config import DEFAULT_PATH, ImageConfig
from runtime.build.instructions import InlineSource, Instruction
from runtime.build.mounts import Device, Mount
from runtime.build.planner import Source
from runtime.build.scope import ArgValue, Environment


@dataclass(frozen=True)
class StageState:
    """What a stage has at one point: image config, build-time environment, declared ARGs."""

    config: ImageConfig
    env: tuple[tuple[str, str], ...] = ()
    build_args: tuple[ArgValue, ...] = ()
    workdir_set: bool = False

    @classmethod
    def from_image(cls, config: dict[str, Any] | None, author: str = "") -> StageState:
        """The start of a stage FROM an image (its `config` object), or `scratch` for None."""
        image = ImageConfig.from_oci(config, author)
        if image.get_env("PATH") is None:
            image = image.with_env("PATH", DEFAULT_PATH)
        env = Environment()
        for entry in image.env:
            key, _, value = entry.partition("=")
            env.set(key, value)
        return cls(config=image, env=env.items())

    def environment(self) -> Environment:
        """A mutable copy of the build-time environment."""
        return Environment(self.env)


@dataclass(frozen=True)
class InlineFile:
    """A file the executor creates for a step (a here-document run as a script)."""

    path: str
    data: str
    mode: int = 0o755


@dataclass(frozen=True)
class RunAction:
    """Run a command in a container from the current state; its changes are the layer."""

    argv: tuple[str, ...]
    env: tuple[str, ...]
    working_dir: str
    user: str
    network: str
    security: str = "sandbox"
    mounts: tuple[Mount, ...] = ()
    mount_sources: tuple[Source | None, ...] = ()
    devices: tuple[Device, ...] = ()
    files: tuple[InlineFile, ...] = ()
    proxy_env: tuple[str, ...] = ()


@dataclass(frozen=True)
class CopyAction:
    """Copy sources (build context, another stage or an image) to a destination."""

    add: bool
    sources: tuple[str, ...]
    contents: tuple[InlineSource, ...]
    destination: str
    source: Source | None = None
    chown: str = ""
    chmod: str = ""
    mode: int | None = None
    link: bool = False
    parents: bool = False
    exclude: tuple[str, ...] = ()
    checksum: str = ""
    keep_git_dir: bool | None = None
    unpack: bool = False

    @property
    def from_context(self) -> bool:
        """Whether the sources are in the build context (where .dockerignore applies)."""
        return self.source is None


@dataclass(frozen=True)
class WorkdirAction:
    """Create the working directory (with parents), owned by `user` when set."""

    path: str
    user: str = ""


Action = RunAction | CopyAction | WorkdirAction


@dataclass(frozen=True)
class Step:
    """One instruction of a stage, planned."""

    instruction: Instruction
    description: str
    action: Action | None
    config: ImageConfig
    created_by: str | None
    empty_layer: bool
    cache: CacheInputs
    number: int | None = None
    on_build: bool = False

    @property
    def changes_filesystem(self) -> bool:
        """Whether the step produces a layer."""
        return self.action is not None


@dataclass(frozen=True)
class StageProgram:
    """A stage's steps, its numbering total and the state it ends in."""

    index: int
    name: str
    base: Source
    steps: tuple[Step, ...]
    total: int
    final: StageState

    @property
    def config(self) -> ImageConfig:
        """The image config of the stage's result."""
        return self.final.config

    def label(self, step: Step) -> str:
        """`[name 3/7] RUN make`, as BuildKit labels progress (no prefix for metadata steps)."""
        if step.number is None:
            return step.description
        width = len(str(self.total))
        prefix = f"{self.name} " if self.name else ""
        onbuild = "ONBUILD " if step.on_build else ""
        return f"[{prefix}{step.number:>{width}}/{self.total}] {onbuild}{step.description}"
