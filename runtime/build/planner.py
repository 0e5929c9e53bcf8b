"""The stage graph of a build, as pure data: which stages, in which order, from what.

`plan_build` resolves the FROM lines against the global ARGs, finds the
target stage (`--target`, else the last), links each stage to the stage or
image it starts from and to the stages and images it copies or mounts from,
rejects cycles, and keeps only the stages the target needs, in the order
they are defined (a stage can only use stages defined before it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from runtime.build.dockerfile import Dockerfile, Stage
from runtime.build.errors import DockerfileError, ExpansionError
from runtime.build.gotext import NumberError, atoi
from runtime.build.instructions import CopyInstruction, Instruction, Location, RunInstruction
from runtime.build.lexer import LexerOptions, process_word
from runtime.build.platforms import Platform, PlatformError, host_platform, parse_platform
from runtime.build.scope import Environment, global_args
from runtime.build.suggestions import with_suggestion

SCRATCH = "scratch"


@dataclass(frozen=True)
class BuildOptions:
    """What a build is asked for, beyond the Dockerfile."""

    target: str = ""
    build_args: Mapping[str, str] = field(default_factory=dict)
    build_platform: Platform = field(default_factory=host_platform)
    target_platform: Platform | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    network: str = "default"

    @property
    def platform(self) -> Platform:
        """The platform the image is built for."""
        return self.target_platform or self.build_platform


@dataclass(frozen=True)
class Source:
    """Where a stage starts from, or a COPY --from / RUN --mount from= points to."""

    kind: str  # "stage", "image" or "scratch"
    reference: str  # the stage name or the image reference, as resolved
    stage_index: int | None = None

    @property
    def is_stage(self) -> bool:
        """Whether this is a stage of the same Dockerfile."""
        return self.kind == "stage"


@dataclass(frozen=True)
class Dependency:
    """A stage's use of another stage or of an image by one of its instructions."""

    instruction: Instruction
    source: Source


@dataclass(frozen=True)
class PlannedStage:
    """A stage with its resolved base, platform and dependencies."""

    stage: Stage
    name: str
    base: Source
    platform: Platform | None
    dependencies: tuple[Dependency, ...] = ()

    @property
    def index(self) -> int:
        """The stage's position in the Dockerfile (0-based)."""
        return self.stage.index


@dataclass(frozen=True)
class BuildPlan:
    """All stages of a Dockerfile, the target, and the stages it needs in build order."""

    dockerfile: Dockerfile
    options: BuildOptions
    global_args: tuple[tuple[str, str], ...]
    stages: tuple[PlannedStage, ...]
    target: int
    order: tuple[int, ...]

    @property
    def needed(self) -> tuple[PlannedStage, ...]:
        """The stages to build, each after those it depends on."""
        return tuple(self.stages[index] for index in self.order)

    @property
    def images(self) -> tuple[str, ...]:
        """The images the needed stages start from, copy from or mount from, once each."""
        found: dict[str, None] = {}
        for planned in self.needed:
            if planned.base.kind == "image":
                found[planned.base.reference] = None
            for dependency in planned.dependencies:
                if dependency.source.kind == "image":
                    found[dependency.source.reference] = None
        return tuple(found)

    def source_for(self, reference: str, by_index: bool) -> Source:
        """The stage (by name, or by number for COPY --from) or image a reference names."""
        names = {p.stage.name: p.index for p in self.stages if p.stage.name}
        index = names.get(reference.lower())
        if index is None and by_index:
            try:
                number = atoi(reference)
            except NumberError:
                number = -1
            if 0 <= number < len(self.stages):
                index = number
        if index is None:
            return Source("image", reference)
        return Source("stage", self.stages[index].stage.display_name, index)

    def global_scope(self) -> Environment:
        """The global ARG scope (predefined platform args, global ARGs, build-args)."""
        return Environment(self.global_args)


def _error(dockerfile: Dockerfile, message: str, location: Location | None) -> DockerfileError:
    if location is None:
        return DockerfileError(message, dockerfile.filename)
    return DockerfileError(message, dockerfile.filename, location.start, location.end)


def _resolve_base(
    dockerfile: Dockerfile, stage: Stage, scope: Environment, earlier: dict[str, int]
) -> Source:
    options = LexerOptions(escape=dockerfile.escape)
    try:
        name = process_word(stage.base_name, scope.as_mapping(), options).result
    except ExpansionError as error:
        raise _error(dockerfile, str(error), stage.location) from None
    if not name:
        message = f"base name ({stage.base_name}) should not be blank"
        raise _error(dockerfile, message, stage.location)
    if name in earlier:
        return Source("stage", name, earlier[name])
    if name == SCRATCH:
        return Source("scratch", SCRATCH)
    return Source("image", name)


def _resolve_platform(
    dockerfile: Dockerfile, stage: Stage, scope: Environment, default: Platform
) -> Platform | None:
    if not stage.platform:
        return None
    options = LexerOptions(escape=dockerfile.escape)
    try:
        expansion = process_word(stage.platform, scope.as_mapping(), options)
    except ExpansionError as error:
        message = f"failed to process arguments for platform : {error}"
        raise _error(dockerfile, message, stage.location) from None
    if not expansion.result:
        message = f"empty platform value from expression {stage.platform}"
        for name in sorted(expansion.unmatched):
            suggested = with_suggestion(message, name, [k for k, _ in scope.items()], True)
            if suggested != message:
                message = suggested
                break
        raise _error(dockerfile, message, stage.location)
    try:
        return parse_platform(expansion.result, default)
    except PlatformError as error:
        message = f"failed to parse platform {stage.platform}: {error}"
        raise _error(dockerfile, message, stage.location) from None


def _find_stage(names: dict[str, int], count: int, reference: str) -> int | None:
    try:
        index = atoi(reference)
    except NumberError:
        return names.get(reference.lower())
    if not 0 <= index < count:
        raise ValueError(f"invalid stage index {index}")
    return index


def _dependencies(
    dockerfile: Dockerfile, stage: Stage, names: dict[str, int]
) -> tuple[Dependency, ...]:
    found: list[Dependency] = []
    count = len(dockerfile.stages)
    for instruction in stage.instructions:
        if isinstance(instruction, CopyInstruction) and instruction.source_stage:
            reference = instruction.source_stage
            try:
                literal = process_word(reference, {}).result == reference
            except ExpansionError as error:
                raise _error(dockerfile, str(error), instruction.location) from None
            if not literal:
                raise _error(
                    dockerfile,
                    "variable expansion is not supported for --from, define a new stage "
                    "with FROM using ARG from global scope as a workaround",
                    instruction.location,
                )
            try:
                index = _find_stage(names, count, reference)
            except ValueError as error:
                raise _error(dockerfile, str(error), instruction.location) from None
            found.append(Dependency(instruction, _source(dockerfile, index, reference)))
        if isinstance(instruction, RunInstruction):
            for mount in instruction.mounts:
                if mount.source_stage:
                    index = names.get(mount.source_stage.lower())
                    found.append(
                        Dependency(instruction, _source(dockerfile, index, mount.source_stage))
                    )
    return tuple(found)


def _source(dockerfile: Dockerfile, index: int | None, reference: str) -> Source:
    if index is None:
        return Source("image", reference)
    return Source("stage", dockerfile.stages[index].display_name, index)


def _check_cycles(dockerfile: Dockerfile, stages: list[PlannedStage]) -> None:
    visited: set[int] = set()

    def visit(index: int, path: list[int], trail: list[Instruction]) -> list[Instruction] | None:
        if index in visited:
            return None
        visited.add(index)
        path.append(index)
        for dependency in stages[index].dependencies:
            target = dependency.source.stage_index
            if target is None:
                continue
            following = [*trail, dependency.instruction]
            if target in path:
                return following
            cycle = visit(target, path, following)
            if cycle is not None:
                return cycle
        path.pop()
        return None

    for planned in stages:
        cycle = visit(planned.index, [], [])
        if cycle is not None:
            message = f"circular dependency detected on stage: {planned.stage.display_name}"
            raise _error(dockerfile, message, cycle[0].location)


def plan_build(dockerfile: Dockerfile, options: BuildOptions | None = None) -> BuildPlan:
    """Resolve stages, target and order; raises DockerfileError / BuildError."""
    options = options or BuildOptions()
    target_name = options.target or dockerfile.stages[-1].name
    scope = global_args(
        dockerfile, options.build_args, options.build_platform, options.platform, target_name
    )
    names: dict[str, int] = {}
    planned: list[PlannedStage] = []
    for stage in dockerfile.stages:
        base = _resolve_base(dockerfile, stage, scope, names)
        platform = _resolve_platform(dockerfile, stage, scope, options.platform)
        if stage.name:
            names[stage.name] = stage.index
        planned.append(PlannedStage(stage, stage.display_name, base, platform))
    for index, item in enumerate(planned):
        dependencies = _dependencies(dockerfile, item.stage, names)
        planned[index] = PlannedStage(item.stage, item.name, item.base, item.platform, dependencies)
    _check_cycles(dockerfile, planned)
    if len(planned) == 1:
        only = planned[0]
        planned[0] = PlannedStage(only.stage, "", only.base, only.platform, only.dependencies)
    target = len(planned) - 1
    if options.target:
        found = names.get(options.target.lower())
        if found is None:
            named = [stage.display_name for stage in dockerfile.stages if stage.name]
            message = f'target stage "{options.target}" could not be found'
            raise _error(dockerfile, with_suggestion(message, options.target, named, True), None)
        target = found
    needed: set[int] = set()
    pending = [target]
    while pending:
        index = pending.pop()
        if index in needed:
            continue
        needed.add(index)
        item = planned[index]
        if item.base.stage_index is not None:
            pending.append(item.base.stage_index)
        pending += [
            d.source.stage_index for d in item.dependencies if d.source.stage_index is not None
        ]
    for index in sorted(needed):
        for dependency in planned[index].dependencies:
            source_index = dependency.source.stage_index
            if source_index is not None and source_index >= index:
                instruction = dependency.instruction
                if isinstance(instruction, CopyInstruction):
                    message = (
                        f'cannot copy from stage "{instruction.source_stage}", it needs to be '
                        f'defined before current stage "{planned[index].stage.display_name}"'
                    )
                else:
                    message = (
                        f'cannot mount from stage "{dependency.source.reference}", '
                        "stage needs to be defined before current command"
                    )
                raise _error(dockerfile, message, instruction.location)
    return BuildPlan(
        dockerfile=dockerfile,
        options=options,
        global_args=scope.items(),
        stages=tuple(planned),
        target=target,
        order=tuple(sorted(needed)),
    )
