"""Building images from Dockerfiles, to BuildKit's rules.

The pure half: parse (`parse_dockerfile`), read the context
(`load_build_context`), plan the stages (`plan_build`) and each stage's steps
(`plan_stage`); every step carries its expanded action, the image config after
it, its history entry and its cache inputs.

The executor: `build_image(store, BuildRequest(...), progress)` runs the plan —
RUN in a container, COPY/ADD/WORKDIR into an overlay, one layer per step, the
build cache (`BuildCache`, `prune_build_cache`) — and registers the image.
Its names are loaded on first use, so importing the package stays cheap.
"""

from typing import TYPE_CHECKING, Any

from runtime.build.build_context import BuildContext, ContextEntry, load_build_context
from runtime.build.cache_keys import CacheInputs, base_key
from runtime.build.dispatch import plan_stage
from runtime.build.dockerfile import Dockerfile, Stage, parse_dockerfile, parse_trigger
from runtime.build.dockerignore import PatternMatcher, read_ignore_file
from runtime.build.errors import (
    BuildError,
    DockerfileError,
    ExpansionError,
    IgnorePatternError,
    ProcessFailed,
    StepFailed,
)
from runtime.build.image_config import Healthcheck, ImageConfig
from runtime.build.planner import BuildOptions, BuildPlan, PlannedStage, Source, plan_build
from runtime.build.platforms import Platform, host_platform, parse_platform
from runtime.build.steps import (
    CopyAction,
    InlineFile,
    RunAction,
    StageProgram,
    StageState,
    Step,
    WorkdirAction,
)

if TYPE_CHECKING:
    from runtime.build.cache import BuildCache, prune_build_cache
    from runtime.build.executor import build_image
    from runtime.build.progress import BuildProgress, PlainProgress, QuietProgress
    from runtime.build.request import BuildRequest, BuildResult

_LAZY = {
    "BuildCache": "runtime.build.cache",
    "prune_build_cache": "runtime.build.cache",
    "build_image": "runtime.build.executor",
    "BuildProgress": "runtime.build.progress",
    "PlainProgress": "runtime.build.progress",
    "QuietProgress": "runtime.build.progress",
    "BuildRequest": "runtime.build.request",
    "BuildResult": "runtime.build.request",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime.build' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BuildCache",
    "BuildContext",
    "BuildError",
    "BuildOptions",
    "BuildPlan",
    "BuildProgress",
    "BuildRequest",
    "BuildResult",
    "CacheInputs",
    "ContextEntry",
    "CopyAction",
    "Dockerfile",
    "DockerfileError",
    "ExpansionError",
    "Healthcheck",
    "IgnorePatternError",
    "ImageConfig",
    "InlineFile",
    "PatternMatcher",
    "PlainProgress",
    "PlannedStage",
    "Platform",
    "ProcessFailed",
    "QuietProgress",
    "RunAction",
    "Source",
    "Stage",
    "StageProgram",
    "StageState",
    "Step",
    "StepFailed",
    "WorkdirAction",
    "base_key",
    "build_image",
    "host_platform",
    "load_build_context",
    "parse_dockerfile",
    "parse_platform",
    "parse_trigger",
    "plan_build",
    "plan_stage",
    "prune_build_cache",
    "read_ignore_file",
]
