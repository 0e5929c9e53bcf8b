"""Building images from Dockerfiles, to BuildKit's rules: the pure half of a build.

Parse (`parse_dockerfile`), read the context (`load_build_context`), plan the
stages (`plan_build`) and each stage's steps (`plan_stage`); every step carries
its expanded action, the image config after it, its history entry and its
cache inputs. The executor (RUN in a container, COPY into a snapshot, layers)
is built on these and on the image store.

Names load on first use: a caller of one submodule (`signals`) does not pay
for the whole planner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.build.build_context import BuildContext, ContextEntry, load_build_context
    from runtime.build.cache_keys import CacheInputs, base_key
    from runtime.build.dispatch import plan_stage
    from runtime.build.dockerfile import Dockerfile, Stage, parse_dockerfile, parse_trigger
    from runtime.build.dockerignore import PatternMatcher, read_ignore_file
    from runtime.build.errors import BuildError, DockerfileError, ExpansionError, IgnorePatternError
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

_EXPORTS = {
    "BuildContext": "runtime.build.build_context",
    "ContextEntry": "runtime.build.build_context",
    "load_build_context": "runtime.build.build_context",
    "CacheInputs": "runtime.build.cache_keys",
    "base_key": "runtime.build.cache_keys",
    "plan_stage": "runtime.build.dispatch",
    "Dockerfile": "runtime.build.dockerfile",
    "Stage": "runtime.build.dockerfile",
    "parse_dockerfile": "runtime.build.dockerfile",
    "parse_trigger": "runtime.build.dockerfile",
    "PatternMatcher": "runtime.build.dockerignore",
    "read_ignore_file": "runtime.build.dockerignore",
    "BuildError": "runtime.build.errors",
    "DockerfileError": "runtime.build.errors",
    "ExpansionError": "runtime.build.errors",
    "IgnorePatternError": "runtime.build.errors",
    "Healthcheck": "runtime.build.image_config",
    "ImageConfig": "runtime.build.image_config",
    "BuildOptions": "runtime.build.planner",
    "BuildPlan": "runtime.build.planner",
    "PlannedStage": "runtime.build.planner",
    "Source": "runtime.build.planner",
    "plan_build": "runtime.build.planner",
    "Platform": "runtime.build.platforms",
    "host_platform": "runtime.build.platforms",
    "parse_platform": "runtime.build.platforms",
    "CopyAction": "runtime.build.steps",
    "InlineFile": "runtime.build.steps",
    "RunAction": "runtime.build.steps",
    "StageProgram": "runtime.build.steps",
    "StageState": "runtime.build.steps",
    "Step": "runtime.build.steps",
    "WorkdirAction": "runtime.build.steps",
}
__all__ = [
    "BuildContext",
    "BuildError",
    "BuildOptions",
    "BuildPlan",
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
    "PlannedStage",
    "Platform",
    "RunAction",
    "Source",
    "Stage",
    "StageProgram",
    "StageState",
    "Step",
    "WorkdirAction",
    "base_key",
    "host_platform",
    "load_build_context",
    "parse_dockerfile",
    "parse_platform",
    "parse_trigger",
    "plan_build",
    "plan_stage",
    "read_ignore_file",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'runtime.build' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
