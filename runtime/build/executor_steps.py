"""Executing one filesystem step — RUN, COPY/ADD, WORKDIR — on a state, into one layer.

Each step gets its own directories in the build's workspace; its upper dir
is diffed into the layer blob (`layer_from_upper`) and then becomes the
snapshot of the new chain id. The scratch space is opened at the first step
that has to run, so a build that is all cache hits mounts nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.build.build_context import BuildContext
from runtime.build.errors import BuildError
from runtime.build.executor_state import BuildState, commit_upper, lower_dirs
from runtime.build.file_modes import ModeChange, parse_mode_change, resolve_owner
from runtime.build.planner import Source
from runtime.build.source_trees import ContextTree, RootfsTree, SourceTree, select_sources
from runtime.build.steps import CopyAction, RunAction, WorkdirAction
from runtime.build.workspace import StepDirs, Workspace
from runtime.crashpoints import crashpoint
from runtime.images.creation import LayerBlob, layer_from_upper
from runtime.images.imagestore import ImageStore
from runtime.store import Store

if TYPE_CHECKING:
    from runtime.build.executor_copy import CopyTarget
    from runtime.build.executor_run import StepRunner
    from runtime.oci import spec as oci


# Build layers are made often and pushed rarely: gzip's fastest level takes half
# the time of the default for about a tenth more bytes.
LAYER_GZIP_LEVEL = 1


@dataclass
class StepExecutor:
    """Runs the filesystem steps of one build in its workspace."""

    store: Store
    context: BuildContext
    tree: ContextTree
    # The state a stage or image named by COPY --from / RUN --mount from= has.
    state_of: Callable[[Source], BuildState] | None = None
    _workspace: Workspace | None = None
    _runner: StepRunner | None = None
    _downloads: dict[str, tuple[Path, str]] = field(default_factory=dict)

    @property
    def images(self) -> ImageStore:
        return ImageStore(self.store)

    def workspace(self) -> Workspace:
        """The build's scratch space, opened on first use."""
        if self._workspace is None:
            self._workspace = Workspace(self.store).open()
        return self._workspace

    def runner(self) -> StepRunner:
        """The RUN step runner (its modules are loaded only by builds that run something)."""
        from runtime.build.executor_network import BuildNetworks
        from runtime.build.executor_run import StepRunner, runtime_for_builds

        if self._runner is None:
            workspace = self.workspace()
            self._runner = StepRunner(
                self.store,
                workspace,
                BuildNetworks(self.store, workspace),
                runtime_for_builds(self.store),
            )
        return self._runner

    def close(self) -> None:
        """Remove everything the build made on the host (mounts, namespaces, directories)."""
        if self._workspace is not None:
            workspace, self._workspace, self._runner = self._workspace, None, None
            workspace.close()

    # --- sources that need fetching -----------------------------------------------------

    def download(self, url: str, checksum: str) -> tuple[Path, str]:
        """An ADD URL, downloaded once per build: the file and its digest."""
        from runtime.build.archives import download

        found = self._downloads.get(url)
        if found is None:
            directory = self.workspace().directory / f"download-{len(self._downloads)}"
            found = download(url, directory, checksum)
            self._downloads[url] = found
        return found

    @contextmanager
    def mounted(self, state: BuildState) -> Iterator[Path]:
        """The root filesystem of `state`, mounted for reading while the block runs."""
        workspace = self.workspace()
        dirs = workspace.step_dirs("source")
        try:
            yield workspace.mount(dirs, lower_dirs(self.images, state))
        finally:
            workspace.discard(dirs)

    # --- steps ----------------------------------------------------------------------------

    def execute(
        self,
        action: RunAction | CopyAction | WorkdirAction,
        state: BuildState,
        on_output: Callable[[bytes], None],
        source_state: BuildState | None = None,
    ) -> LayerBlob:
        """Run a step on `state`; return its layer (ProcessFailed for a failing RUN)."""
        workspace = self.workspace()
        kind = type(action).__name__.removesuffix("Action").lower()
        dirs = workspace.step_dirs(kind)
        try:
            lowers = lower_dirs(self.images, state)
            if isinstance(action, RunAction):
                with ExitStack() as stack:
                    mounts = self._run_mounts(action, dirs, stack)
                    crashpoint(f"build: {kind} step mounted")
                    self.runner().run(action, dirs, lowers, mounts, on_output)
            else:
                from runtime.build.executor_copy import CopyTarget

                merged = workspace.mount(dirs, lowers)
                try:
                    if isinstance(action, CopyAction):
                        self._copy(action, merged, source_state)
                    else:
                        owner = resolve_owner(merged, action.user)
                        CopyTarget(merged, owner=owner).make_dirs(action.path)
                finally:
                    workspace.unmount(dirs)
            crashpoint(f"build: {kind} step ran")
            layer = layer_from_upper(self.store, dirs.upper, level=LAYER_GZIP_LEVEL)
            crashpoint(f"build: {kind} layer written")
            commit_upper(self.images, state.next_chain(layer.diff_id), dirs.upper)
            crashpoint(f"build: {kind} snapshot made")
            return layer
        finally:
            workspace.discard(dirs)

    def _run_mounts(
        self, action: RunAction, dirs: StepDirs, stack: ExitStack
    ) -> Sequence[oci.Mount]:
        if not action.mounts:
            return ()
        from runtime.build.run_mounts import RunMounts

        def source_root(source: Source, mounts: ExitStack) -> Path:
            assert self.state_of is not None
            return mounts.enter_context(self.mounted(self.state_of(source)))

        return RunMounts(self.store, self.tree, source_root).prepare(action, dirs, stack)

    def _copy(self, action: CopyAction, merged: Path, source_state: BuildState | None) -> None:
        from runtime.build.executor_copy import CopyTarget, write_file

        if action.parents or action.exclude:
            flag = "--parents" if action.parents else "--exclude"
            raise BuildError(f"COPY {flag} is not supported by this builder")
        written = len(action.sources) + len(action.contents)
        if written > 1 and not action.destination.endswith(("/", "/.")):
            raise BuildError(
                "When using COPY with more than one source file, "
                "the destination must be a directory and end with a /"
            )
        mode: ModeChange | None = (
            ModeChange(octal=action.mode)
            if action.mode is not None
            else parse_mode_change(action.chmod)
        )
        target = CopyTarget(
            merged,
            owner=resolve_owner(merged, action.chown),
            mode=mode,
            keep_owner=action.source is not None,
        )
        with ExitStack() as stack:
            tree: SourceTree = self.tree
            if action.source is not None:
                assert source_state is not None
                tree = RootfsTree(stack.enter_context(self.mounted(source_state)))
            for source in action.sources:
                self._copy_source(action, source, tree, target, written > 1)
            for content in action.contents:
                destination = action.destination
                if written > 1 or destination.endswith(("/", "/.")):
                    destination = destination.rstrip("/.") + "/" + content.path
                file_mode = mode.apply(0o100644, False) if mode else 0o644
                write_file(target, destination, content.data.encode(), file_mode)

    def _copy_source(
        self, action: CopyAction, source: str, tree: SourceTree, target: CopyTarget, many: bool
    ) -> None:
        from runtime.build.actions import is_git, is_url
        from runtime.build.executor_copy import copy_selection

        if action.add and is_git(source):
            raise BuildError("ADD of a Git repository is not supported by this builder")
        if action.add and is_url(source):
            path, _ = self.download(source, action.checksum)
            url_tree = RootfsTree(path.parent)
            selected = select_sources(url_tree, path.name)
            copy_selection(url_tree, selected, action.destination, target, many=many)
            return
        selected = select_sources(tree, source)
        copy_selection(
            tree,
            selected,
            action.destination,
            target,
            many=many or len(selected) > 1,
            unpack_archives=action.add and action.unpack and action.source is None,
        )
