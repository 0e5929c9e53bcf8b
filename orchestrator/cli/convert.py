"""`pycompose convert --to kubernetes`: the project as Kubernetes manifests."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.kubernetes import AllowHostpathOption, converted
from orchestrator.cli.project import (
    EnvFileOption,
    FileOption,
    ProfileOption,
    ProjectDirectoryOption,
    ProjectNameOption,
    project_options,
)


class Target(StrEnum):
    """What `convert` converts to."""

    kubernetes = "kubernetes"


def register(app: typer.Typer) -> None:
    """Add the `convert` verb to the command line."""
    app.command("convert")(convert)


def convert(
    ctx: typer.Context,
    to: Annotated[Target, typer.Option("--to", help="What to convert to.")] = Target.kubernetes,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="A directory (one file per object), a .yaml file, or - for stdout.",
        ),
    ] = "-",
    allow_hostpath: AllowHostpathOption = False,
    file: FileOption = None,
    project_name: ProjectNameOption = None,
    profile: ProfileOption = None,
    env_file: EnvFileOption = None,
    project_directory: ProjectDirectoryOption = None,
) -> None:
    """Convert the project to Kubernetes manifests."""
    from orchestrator.kubernetes.documents import to_stream, write_directory, write_file

    options = project_options(ctx, file, project_name, profile, env_file, project_directory)
    conversion = converted(options, allow_hostpath=allow_hostpath)
    documents = list(conversion.documents)
    if output == "-":
        typer.echo(to_stream(documents), nl=False)
        return
    path = Path(output)
    if path.suffix in (".yaml", ".yml") and not path.is_dir():
        private = any(document["kind"] == "Secret" for document in documents)
        write_file(path, to_stream(documents), private=private)
    else:
        write_directory(path, documents)
