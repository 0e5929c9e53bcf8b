"""The root of the `pycompose` command: global options, command groups, error reporting."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from importlib import metadata
from typing import Annotated

import click
import typer

from orchestrator.cli.options import GlobalOptions

app = typer.Typer(
    name="pycompose",
    help="Run multi-container apps from a Compose file, with no daemon and no Docker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command groups, each a module with a typer app named `app`: (module, name, help).
GROUPS: list[tuple[str, str, str]] = [
    ("orchestrator.cli.container", "container", "Manage containers."),
    ("orchestrator.cli.image", "image", "Manage images."),
    ("orchestrator.cli.network", "network", "Manage networks."),
    ("orchestrator.cli.volume", "volume", "Manage volumes."),
    ("orchestrator.cli.system", "system", "Disk usage and clean-up."),
    ("orchestrator.cli.kubernetes", "kube", "Run the project on a Kubernetes cluster."),
]
# Modules that register top-level commands on `app` through `register(app)`.
COMMAND_MODULES: list[str] = [
    "orchestrator.cli.build",
    "orchestrator.cli.config",
    "orchestrator.cli.login",
    "orchestrator.cli.convert",
]


def version_string() -> str:
    """`pycompose version X.Y.Z`."""
    try:
        version = metadata.version("pycompose")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"pycompose version {version}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_string())
        raise typer.Exit()


@app.callback()
def root_options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-v",
            help="Print the version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    root: Annotated[
        str | None,
        typer.Option(
            "--root", envvar="PYCOMPOSE_ROOT", help="Where images, containers and volumes are kept."
        ),
    ] = None,
    file: Annotated[list[str] | None, typer.Option("--file", "-f", help="Compose file(s).")] = None,
    project_name: Annotated[
        str | None, typer.Option("--project-name", "-p", help="Project name.")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option("--profile", help="Enable a profile.")
    ] = None,
    env_file: Annotated[
        list[str] | None, typer.Option("--env-file", help="Alternate environment file(s).")
    ] = None,
    project_directory: Annotated[
        str | None, typer.Option("--project-directory", help="Alternate working directory.")
    ] = None,
) -> None:
    """Run multi-container apps from a Compose file, with no daemon and no Docker."""
    ctx.obj = GlobalOptions(
        debug=debug,
        root=root,
        files=list(file or []),
        project_name=project_name,
        profiles=list(profile or []),
        env_files=list(env_file or []),
        project_directory=project_directory,
    )


@app.command("version")
def version_command() -> None:
    """Show the pycompose version."""
    typer.echo(version_string())


def _register() -> None:
    for module_name, name, help_text in GROUPS:
        module = importlib.import_module(module_name)
        app.add_typer(module.app, name=name, help=help_text)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)


def _error_types() -> tuple[type[BaseException], ...]:
    from orchestrator.errors import OrchestratorError
    from runtime.errors import EngineError
    from specs.errors import SpecError

    return (SpecError, EngineError, OrchestratorError)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pycompose` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("PYCOMPOSE_DEBUG") == "1"
    _register()
    try:
        app(args=args, prog_name="pycompose", standalone_mode=True)
    except Exception as exc:
        # Only a failure loads the error types: the spec package is heavy to import.
        if not isinstance(exc, _error_types()):
            raise
        if debug:
            traceback.print_exc()
        message = str(exc)
        click.echo(
            f"pycompose: {message}" if not message.startswith("pycompose") else message, err=True
        )
        sys.exit(1)
