"""Loading the project a compose verb works on, from the command line's options.

Every compose verb (`config`, `up`, `down`, `ps`...) accepts the project
options both before the verb (`pycompose -f app.yaml up`) and after it
(`pycompose up -f app.yaml`). A verb declares them with the `*Option` types
below, hands them to `project_options()` together with the context, and
loads with `load_project()`:

    def up(ctx: typer.Context, file: FileOption = None, project_name: ProjectNameOption = None,
           profile: ProfileOption = None, env_file: EnvFileOption = None,
           project_directory: ProjectDirectoryOption = None) -> None:
        options = project_options(ctx, file, project_name, profile, env_file, project_directory)
        project = load_project(options)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import click
import typer

from orchestrator.cli.options import GlobalOptions

if TYPE_CHECKING:
    from specs.model import Project

FileOption = Annotated[
    list[str] | None,
    typer.Option("--file", "-f", help="Compose file; repeat to merge several, in order."),
]
ProjectNameOption = Annotated[
    str | None, typer.Option("--project-name", "-p", help="Project name.")
]
ProfileOption = Annotated[
    list[str] | None, typer.Option("--profile", help="Activate a profile; repeatable.")
]
EnvFileOption = Annotated[
    list[str] | None,
    typer.Option("--env-file", help="Environment file to use instead of .env; repeatable."),
]
ProjectDirectoryOption = Annotated[
    str | None,
    typer.Option("--project-directory", help="Project directory (default: the first file's)."),
]


@dataclass(frozen=True)
class ProjectOptions:
    """Which project to load: the files, name, profiles, env files and directory asked for."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    profiles: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    project_directory: str | None = None


def project_options(
    ctx: typer.Context,
    files: list[str] | None = None,
    project_name: str | None = None,
    profiles: list[str] | None = None,
    env_files: list[str] | None = None,
    project_directory: str | None = None,
) -> ProjectOptions:
    """The global options combined with those given after the verb: lists add up
    (global ones first), single values given after the verb win."""
    found = ctx.find_object(GlobalOptions)
    given = found if found is not None else GlobalOptions()
    return ProjectOptions(
        files=(*given.files, *(files or [])),
        project_name=project_name or given.project_name,
        profiles=(*given.profiles, *(profiles or [])),
        env_files=(*given.env_files, *(env_files or [])),
        project_directory=project_directory or given.project_directory,
    )


def load_project(
    options: ProjectOptions, environment: Mapping[str, str] | None = None, *, warn: bool = True
) -> Project:
    """Load and validate the project (SpecError on a bad file); print its warnings on stderr."""
    import specs

    project = specs.load(
        list(options.files),
        env=dict(os.environ if environment is None else environment),
        profiles=list(options.profiles) or None,
        project_name=options.project_name,
        env_files=list(options.env_files) or None,
        working_dir=options.project_directory,
    )
    if warn:
        for message in project.warnings:
            click.echo(f"pycompose: warning: {message}", err=True)
    return project


def load_project_name(options: ProjectOptions, environment: Mapping[str, str] | None = None) -> str:
    """The project's name alone, the way `load_project` would decide it, without reading
    the whole file into the model: what `ps`, `logs`, `stop` and friends need to find the
    project's containers, at a fraction of the cost. With `-p`, no file is needed."""
    from pathlib import Path

    from specs.discovery import display_name, find_files
    from specs.environment import project_environment
    from specs.naming import project_name
    from specs.parser import parse_file

    process = dict(os.environ if environment is None else environment)
    if options.project_name is not None:
        return project_name(options.project_name, process, [], Path.cwd())
    cwd = Path.cwd()
    directory = (
        Path(os.path.normpath(cwd / options.project_directory))
        if options.project_directory
        else None
    )
    discovery = find_files(list(options.files), process, cwd, directory)
    project_directory = directory or discovery.files[0].parent
    values = project_environment(process, project_directory, list(options.env_files), cwd)
    documents = [
        document
        for file in discovery.files
        for document in parse_file(file, display_name(file, cwd))
    ]
    return project_name(None, values, documents, project_directory)
