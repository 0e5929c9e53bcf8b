"""`pycompose build [SERVICE...]`: build the images of a project's services."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestrator.cli.image import (
    BuildArgOption,
    NoCacheOption,
    PullOption,
    open_store,
    parse_pairs,
)
from orchestrator.cli.project import (
    EnvFileOption,
    FileOption,
    ProfileOption,
    ProjectDirectoryOption,
    ProjectNameOption,
    load_project,
    project_options,
)


def register(app: typer.Typer) -> None:
    """Add the `build` verb to the command line."""
    app.command("build")(build)


def build(
    ctx: typer.Context,
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to build (default: all with build:).")
    ] = None,
    file: FileOption = None,
    project_name: ProjectNameOption = None,
    profile: ProfileOption = None,
    env_file: EnvFileOption = None,
    project_directory: ProjectDirectoryOption = None,
    no_cache: NoCacheOption = False,
    pull: PullOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    build_arg: BuildArgOption = None,
) -> None:
    """Build or rebuild the images of services."""
    from orchestrator.building import BuildServicesOptions, build_services

    options = project_options(ctx, file, project_name, profile, env_file, project_directory)
    project = load_project(options)
    build_services(
        project,
        open_store(ctx),
        services or [],
        BuildServicesOptions(
            no_cache=no_cache,
            pull=pull,
            quiet=quiet,
            build_args=parse_pairs(build_arg, "build argument", from_environment=True),
        ),
    )
