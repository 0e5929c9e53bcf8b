"""Building images from Dockerfiles, to BuildKit's rules: the pure half of a build.

Parse (`parse_dockerfile`), read the context (`load_build_context`), plan the
stages (`plan_build`) and each stage's steps (`plan_stage`); every step carries
its expanded action, the image config after it, its history entry and its
cache inputs. The executor (RUN in a container, COPY into a snapshot, layers)
is built on these and on the image store.
"""

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
