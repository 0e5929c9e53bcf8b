"""Build an image from a Dockerfile: stages in plan order, each step cached or executed.

    result = build_image(store, BuildRequest(Path("."), tags=("app:latest",)))

The pure half (parse, plan, expand) comes from the planner; this module
resolves bases (found locally or pulled; `--pull` always pulls), computes
each step's cache key (parent key + expanded instruction + the digests of
its COPY/ADD sources), takes hits from the build cache, executes misses
(`executor_steps`), and registers the target stage's image with its tags in
one transaction. The whole build holds the images lock shared, so garbage
collection never runs between writing a layer and using it. A failure or
Ctrl-C leaves no tag, no mount, no namespace and no container behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from runtime.build.actions import is_git, is_url
from runtime.build.build_context import (
    DEFAULT_IGNORE_FILE,
    BuildContext,
    load_build_context,
)
from runtime.build.cache import BuildCache
from runtime.build.cache_contexts import ContextDigests, rootfs_digest
from runtime.build.cache_keys import base_key
from runtime.build.dockerfile import parse_dockerfile
from runtime.build.dockerignore import read_ignore_file
from runtime.build.errors import BuildError, ProcessFailed, StepFailed
from runtime.build.executor_state import (
    BuildState,
    assemble_image,
    history_entry,
    rfc3339_nano,
)
from runtime.build.executor_steps import StepExecutor
from runtime.build.planner import BuildOptions, BuildPlan, PlannedStage, Source, plan_build
from runtime.build.progress import BuildProgress, PlainProgress
from runtime.build.request import BuildRequest, BuildResult, network_mode
from runtime.build.source_trees import ContextTree, RootfsTree
from runtime.build.steps import CopyAction, RunAction, StageProgram, StageState, Step
from runtime.crashpoints import crashpoint
from runtime.errors import EngineError
from runtime.images.creation import images_lock
from runtime.images.errors import ImageError
from runtime.images.imagestore import Image, ImageStore
from runtime.images.reference import Reference, parse_reference
from runtime.store import Store
from runtime.store.scratch import sweep_scratch


def read_context(request: BuildRequest) -> BuildContext:
    """The build context with its Dockerfile (a file, or the inline text) and ignore file."""
    if request.dockerfile_inline is None:
        dockerfile = str(request.dockerfile) if request.dockerfile is not None else None
        return load_build_context(request.context, dockerfile)
    root = Path(request.context).absolute()
    if not root.is_dir():
        raise BuildError(f"unable to prepare context: path {str(request.context)!r} not found")
    ignore = root / DEFAULT_IGNORE_FILE
    patterns = tuple(read_ignore_file(ignore.read_bytes())) if ignore.is_file() else ()
    return BuildContext(
        root,
        root / "Dockerfile",
        request.dockerfile_inline.encode(),
        patterns,
        ignore if ignore.is_file() else None,
    )


@dataclass
class _StageResult:
    program: StageProgram
    state: BuildState


class _Build:
    """One build: its plan, its stages' results, its counters."""

    def __init__(
        self,
        store: Store,
        request: BuildRequest,
        context: BuildContext,
        plan: BuildPlan,
        progress: BuildProgress,
    ):
        self.store = store
        self.request = request
        self.plan = plan
        self.progress = progress
        self.images = ImageStore(store)
        self.cache = BuildCache(store)
        self.tree = ContextTree(context)
        self.digests = ContextDigests(store.db, self.tree)
        self.steps = StepExecutor(store, context, self.tree, self.state_of)
        self.results: dict[int, _StageResult] = {}
        self.bases: dict[str, Image] = {}
        self.executed = 0
        self.cached = 0

    # --- images the build starts from ------------------------------------------------------

    def image(self, reference: str, planned: PlannedStage | None = None) -> Image:
        """A base (or COPY --from) image: local unless `--pull`, else pulled."""
        found = self.bases.get(reference)
        if found is not None:
            return found
        if not self.request.pull:
            found = self.images.find(reference)
        if found is None:
            from runtime.images.progress import SilentReporter
            from runtime.images.pull import pull_image

            self.progress.message(f"pulling {reference}")
            platform = planned.platform if planned is not None else None
            try:
                found = pull_image(
                    self.store,
                    reference,
                    platform=str(platform) if platform else None,
                    reporter=SilentReporter(),
                ).image
            except ImageError as error:
                hint = ""
                if reference.startswith("debian:"):
                    hint = f" (make it locally with `pycompose image bootstrap {reference}`)"
                raise BuildError(
                    f"failed to resolve source metadata for {reference}: {error}{hint}"
                ) from None
        self.bases[reference] = found
        return found

    def _platform(self) -> tuple[str, str, str]:
        platform = self.plan.options.platform
        return (platform.os, platform.architecture, platform.variant or "")

    # --- stages -----------------------------------------------------------------------------

    def run(self) -> Image:
        for planned in self.plan.needed:
            self.results[planned.index] = self.stage(planned)
        target = self.results[self.plan.target]
        tags = [parse_reference(tag) for tag in self.request.tags]
        image = assemble_image(self.images, target.state, target.program.config, tags)
        crashpoint("build: image assembled")
        self.cache.touch()
        self.digests.flush()
        self.progress.message(f"writing image {image.id}")
        for reference in tags:
            self.progress.message(f"naming to {reference}")
        return image

    def stage(self, planned: PlannedStage) -> _StageResult:
        base = planned.base
        platform = str(planned.platform or self.plan.options.platform)
        if base.kind == "image":
            try:
                image = self.image(base.reference, planned)
            except BuildError as error:
                line = planned.stage.location.start
                raise StepFailed(f"{self.plan.dockerfile.filename}:{line}: {error}") from None
            state = BuildState.from_image(image, base_key(image.id, platform))
            start = StageState.from_image(
                image.runtime_config, str(image.config.get("author") or "")
            )
        elif base.kind == "stage":
            assert base.stage_index is not None
            parent = self.results[base.stage_index]
            state, start = parent.state, parent.program.final
        else:
            state = BuildState(base_key("scratch", platform), self._platform())
            start = StageState.from_image(None)
        from runtime.build.dispatch import plan_stage

        program = plan_stage(self.plan, planned.index, start)
        if base.kind == "image":
            self.progress.step(_from_label(program, base.reference))
        for step in program.steps:
            state = self.step(program, step, state)
        return _StageResult(program, state)

    def step(self, program: StageProgram, step: Step, state: BuildState) -> BuildState:
        try:
            contents = self._contents(step)
        except EngineError as error:
            raise self._failure(step, program, f"failed to compute cache key: {error}") from None
        key = step.cache.key(state.key, contents)
        if step.action is None:
            entry = None
            if step.created_by is not None:
                entry = history_entry(step.created_by, None, empty_layer=True)
            return state.with_entry(entry, key)
        label = program.label(step)
        hit = None if self.request.no_cache else self.cache.lookup(key)
        if hit is not None:
            self.cached += 1
            self.progress.cached(label)
            return state.with_layer(hit.layer, hit.history, key)
        self.progress.step(label)
        started = time.monotonic()
        source_state = (
            self._source_state(step.action) if isinstance(step.action, CopyAction) else None
        )
        try:
            layer = self.steps.execute(step.action, state, self.progress.output, source_state)
        except EngineError as error:
            code = error.status.code if isinstance(error, ProcessFailed) else None
            raise self._failure(step, program, str(error), code) from None
        entry = history_entry(step.created_by or "", rfc3339_nano(), empty_layer=False)
        self.cache.record(key, state.key, label, layer, entry)
        self.executed += 1
        self.progress.done(label, time.monotonic() - started)
        return state.with_layer(layer, entry, key)

    def _failure(
        self, step: Step, program: StageProgram, reason: str, code: int | None = None
    ) -> StepFailed:
        label = program.label(step)
        self.progress.failed(label, reason)
        location = step.instruction.location
        filename = self.plan.dockerfile.filename
        message = f"{filename}:{location.start}: {reason}"
        return StepFailed(message, label, code, self.progress.tail())

    # --- cache inputs -----------------------------------------------------------------------

    def state_of(self, source: Source) -> BuildState:
        """The state of a stage built earlier, or of an image."""
        if source.is_stage:
            assert source.stage_index is not None
            return self.results[source.stage_index].state
        image = self.image(source.reference)
        return BuildState.from_image(image, base_key(image.id, str(self.plan.options.platform)))

    def _source_state(self, action: CopyAction) -> BuildState | None:
        return None if action.source is None else self.state_of(action.source)

    def _contents(self, step: Step) -> dict[str, str]:
        action = step.action
        if isinstance(action, RunAction):
            return self._mount_contents(action)
        if not step.cache.content_sources or not isinstance(action, CopyAction):
            return {}
        source_state = self._source_state(action)
        if source_state is not None:
            return self._state_contents(source_state, step.cache.content_sources)
        found: dict[str, str] = {}
        for source in step.cache.content_sources:
            if action.add and is_git(source):
                raise BuildError("ADD of a Git repository is not supported by this builder")
            elif action.add and is_url(source):
                found[source] = self.steps.download(source, action.checksum)[1]
            else:
                found[source] = self.digests.digest(source)
        return found

    def _mount_contents(self, action: RunAction) -> dict[str, str]:
        """What RUN --mount=type=bind sources hold counts in the key (cache mounts never do)."""
        found: dict[str, str] = {}
        for index, (mount, source) in enumerate(
            zip(action.mounts, action.mount_sources, strict=True)
        ):
            if mount.type != "bind":
                continue
            path = mount.source or "/"
            if source is None:
                digest = self.digests.digest(path)
            else:
                digest = self._state_contents(self.state_of(source), (path,))[path]
            found[f"mount {index} {mount.target}"] = digest
        return found

    def _state_contents(self, state: BuildState, sources: tuple[str, ...]) -> dict[str, str]:
        """COPY --from digests: remembered per stage key, else hashed in the mounted stage."""
        found = {s: self.cache.source_digest(state.key, s) for s in sources}
        missing = [source for source, digest in found.items() if digest is None]
        if missing:
            with self.steps.mounted(state) as root:
                tree = RootfsTree(root)
                for source in missing:
                    digest = rootfs_digest(tree, source)
                    self.cache.record_source_digest(state.key, source, digest)
                    found[source] = digest
        return {source: str(digest) for source, digest in found.items()}


def _from_label(program: StageProgram, reference: str) -> str:
    width = len(str(program.total))
    prefix = f"{program.name} " if program.name else ""
    try:
        shown = str(parse_reference(reference))
    except ImageError:
        shown = reference
    return f"[{prefix}{1:>{width}}/{program.total}] FROM {shown}"


def build_image(
    store: Store, request: BuildRequest, progress: BuildProgress | None = None
) -> BuildResult:
    """Build `request` into an image in `store`; BuildError (one line) when it cannot."""
    progress = progress or PlainProgress()
    network_mode(request.network)
    for tag in request.tags:
        _check_tag(tag)
    context = read_context(request)
    filename = context.dockerfile_path.name if request.dockerfile_inline is None else "Dockerfile"
    dockerfile = parse_dockerfile(context.dockerfile, filename)
    options = BuildOptions(
        target=request.target,
        build_args=dict(request.build_args),
        labels=dict(request.labels),
        network=request.network or "default",
    )
    plan = plan_build(dockerfile, options)
    sweep_scratch(store.layout)
    with images_lock(store):
        build = _Build(store, request, context, plan, progress)
        try:
            image = build.run()
        finally:
            build.steps.close()
    return BuildResult(image, request.tags, build.executed, build.cached)


def _check_tag(tag: str) -> Reference:
    try:
        return parse_reference(tag)
    except ImageError as error:
        raise BuildError(f"invalid tag {tag!r}: {error}") from None
