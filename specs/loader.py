"""Loading a project: the pipeline of stages from Compose files to a validated Project.

    discovery -> parse -> project name -> per file: interpolation, canonical
    syntax, paths, include, extends -> merge -> net: -> resources -> container
    environments -> implied defaults -> key check -> validation -> profiles
    -> consistency -> content digests

Each stage is its own module; this one only runs them in order.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from specs import nodes
from specs.consistency import check_consistency
from specs.discovery import display_name, find_files
from specs.documents import prepare
from specs.environment import project_environment, resolve_service_environments
from specs.errors import SpecError
from specs.extends import Extender
from specs.hashing import digest_sources
from specs.include import apply_includes
from specs.legacy import rewrite_net
from specs.merge import merge_all
from specs.model.project import Project
from specs.naming import project_name as decide_name
from specs.nodes import Node
from specs.normalisation import apply_defaults
from specs.parser import parse_file
from specs.profiles import active_profiles, apply_profiles
from specs.reconcile import reconcile_resources
from specs.textfiles import file_problem
from specs.validation import validate
from specs.vocabulary import check_keys

PathLike = str | os.PathLike[str]


def load(
    paths: Sequence[PathLike] = (),
    *,
    env: Mapping[str, str] | None = None,
    profiles: Sequence[str] | None = None,
    project_name: str | None = None,
    env_files: Sequence[PathLike] | None = None,
    working_dir: PathLike | None = None,
) -> Project:
    """Load Compose files into a validated, normalised Project.

    `paths` are the files to merge, in order (none: COMPOSE_FILE, or discovery in
    `working_dir` or the current directory and its parents). `env` is the process
    environment (default `os.environ`); `env_files` replace the project's `.env`;
    `profiles` replace COMPOSE_PROFILES; `project_name` beats every other source;
    `working_dir` is the project directory (default: the first file's directory).
    Raises SpecError, whose text names the file, line, column and key path.
    """
    # A load allocates many small objects and no reference cycles; with the cyclic
    # collector running, its full passes over the growing heap make the load grow
    # quadratically with the number of services.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(paths, env, profiles, project_name, env_files, working_dir)
    finally:
        if collecting:
            gc.enable()


def _load(
    paths: Sequence[PathLike],
    env: Mapping[str, str] | None,
    profiles: Sequence[str] | None,
    project_name: str | None,
    env_files: Sequence[PathLike] | None,
    working_dir: PathLike | None,
) -> Project:
    process = dict(os.environ if env is None else env)
    cwd = Path.cwd()
    directory = Path(os.path.normpath(cwd / os.fspath(working_dir))) if working_dir else None
    discovery = find_files(paths, process, cwd, directory)
    project_directory = directory or discovery.files[0].parent
    environment = project_environment(process, project_directory, env_files, cwd)
    session = _Session(cwd, list(discovery.warnings))
    documents = [session.peek(str(file)) for file in discovery.files]
    name = decide_name(
        project_name, environment, [doc for docs in documents for doc in docs], project_directory
    )
    environment["COMPOSE_PROJECT_NAME"] = name
    files = [str(file) for file in discovery.files]
    root = session.load_tree(files, str(project_directory), environment, [])
    if root is None or not root.value:
        first = display_name(files[0], cwd)
        raise SpecError(f"{first}: the file is empty (a Compose file defines at least 'services')")
    root.pop("name")
    rewrite_net(root)
    reconcile_resources(root)
    resolve_service_environments(root, environment, cwd)
    apply_defaults(root, name, str(project_directory))
    check_keys(root)
    project = validate(
        root,
        {
            "name": name,
            "working_dir": str(project_directory),
            "compose_files": files,
            "environment": environment,
        },
    )
    project = apply_profiles(project, active_profiles(profiles, environment))
    check_consistency(project, root)
    project = digest_sources(project)
    return project.model_copy(update={"warnings": session.warnings})


class _Session:
    """What one load shares between files: parsed files and warnings."""

    def __init__(self, cwd: Path, warnings: list[str]):
        self.cwd = cwd
        self.warnings = warnings
        self.fresh: dict[str, list[Node]] = {}

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def peek(self, file: str) -> list[Node]:
        """The YAML documents of `file`, to read but not to change."""
        if file not in self.fresh:
            self.fresh[file] = parse_file(Path(file), display_name(file, self.cwd))
        return self.fresh[file]

    def take(self, file: str) -> list[Node]:
        """The YAML documents of `file`, for stages that change them (parsed anew when an
        earlier stage already took them: a file used twice is rare, copying every file is not)."""
        documents = self.fresh.pop(file, None)
        return (
            documents
            if documents is not None
            else parse_file(Path(file), display_name(file, self.cwd))
        )

    def load_tree(
        self, files: list[str], base_dir: str, environment: Mapping[str, str], chain: list[str]
    ) -> Node | None:
        """Files merged in order, each interpolated, canonical, with includes and extends."""
        trees: list[Node] = []
        for file in files:
            for document in prepare(self.take(file), base_dir, environment, self.warn):
                self._include(document, environment, [*chain, file])
                self._extend(file, document, environment)
                trees.append(document)
        return merge_all(trees)

    def _include(self, document: Node, environment: Mapping[str, str], chain: list[str]) -> None:
        def read_project(included: list[str], directory: str, values: dict[str, str]) -> Node:
            tree = self.load_tree(included, directory, values, chain)
            return tree or nodes.mapping(document.location)

        apply_includes(document, environment, read_project, self.cwd, chain)

    def _extend(self, file: str, document: Node, environment: Mapping[str, str]) -> None:
        def read_file(path: str, node: Node, where: nodes.Path) -> Node:
            return self.read_extended(path, node, where, environment)

        Extender(read_file).apply(file, document)

    def read_extended(
        self, file: str, node: Node, where: nodes.Path, environment: Mapping[str, str]
    ) -> Node:
        """The tree of a file named by `extends: {file: ...}`, its paths against its directory."""
        problem = file_problem(file)
        if problem is not None:
            raise nodes.error(node, where, f"{display_name(file, self.cwd)}: {problem}")
        prepared = prepare(self.take(file), os.path.dirname(file), environment, self.warn)
        return merge_all(prepared) or nodes.mapping(node.location)
