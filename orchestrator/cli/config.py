"""`pycompose config`: validate the project and print it as a normalised Compose file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.project import (
    EnvFileOption,
    FileOption,
    ProfileOption,
    ProjectDirectoryOption,
    ProjectNameOption,
    load_project,
    project_options,
)


class OutputFormat(StrEnum):
    """How `config` writes the project."""

    yaml = "yaml"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the `config` verb to the command line."""
    app.command("config")(config)


def config(
    ctx: typer.Context,
    file: FileOption = None,
    project_name: ProjectNameOption = None,
    profile: ProfileOption = None,
    env_file: EnvFileOption = None,
    project_directory: ProjectDirectoryOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.yaml,
    services: Annotated[bool, typer.Option("--services", help="Print the service names.")] = False,
    volumes: Annotated[bool, typer.Option("--volumes", help="Print the volume names.")] = False,
    networks: Annotated[bool, typer.Option("--networks", help="Print the network names.")] = False,
    profiles: Annotated[
        bool, typer.Option("--profiles", help="Print the profiles the services name.")
    ] = False,
    images: Annotated[
        bool, typer.Option("--images", help="Print the image of each service.")
    ] = False,
    hash_of: Annotated[
        str | None,
        typer.Option(
            "--hash", metavar="SERVICES", help='Print "service hash" for these services ("*": all).'
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only validate; print nothing.")
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Validate the Compose file(s) and print the normalised project."""
    options = project_options(ctx, file, project_name, profile, env_file, project_directory)
    project = load_project(options)
    if quiet:
        return
    if services:
        lines = list(project.services)
    elif volumes:
        lines = list(project.volumes)
    elif networks:
        lines = list(project.networks)
    elif profiles:
        lines = project.all_profiles()
    elif images:
        lines = sorted({project.image_name(service) for service in project.services.values()})
    elif hash_of is not None:
        lines = _hashes(project, hash_of)
    else:
        from specs.rendering import to_compose, to_json, to_yaml

        document = to_compose(project)
        _write(
            to_json(document) if output_format is OutputFormat.json else to_yaml(document), output
        )
        return
    _write("".join(f"{line}\n" for line in lines), output)


def _hashes(project: object, names: str) -> list[str]:
    from specs.errors import SpecError
    from specs.model import Project

    assert isinstance(project, Project)
    wanted = (
        list(project.services)
        if names.strip() == "*"
        else [name.strip() for name in names.split(",") if name.strip()]
    )
    lines = []
    for name in wanted:
        service = project.services.get(name)
        if service is None:
            raise SpecError(f"no such service: {name}")
        lines.append(f"{name} {service.config_hash()}")
    return lines


def _write(text: str, output: str | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
    else:
        Path(output).write_text(text)
