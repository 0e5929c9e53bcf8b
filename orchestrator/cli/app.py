"""The root of the `pycompose` command: global options, command groups, error reporting."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
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
    ("orchestrator.cli.system", "system", "Disk usage, clean-up, and restoring after a reboot."),
    ("orchestrator.cli.kubernetes", "kube", "Run the project on a Kubernetes cluster."),
]
# Modules that register top-level commands on `app` through `register(app)`.
COMMAND_MODULES: list[str] = [
    "orchestrator.cli.build",
    "orchestrator.cli.config",
    "orchestrator.cli.login",
    "orchestrator.cli.convert",
    "orchestrator.cli.up",
    "orchestrator.cli.down",
    "orchestrator.cli.inspection",
    "orchestrator.cli.logs",
    "orchestrator.cli.events",
    "orchestrator.cli.lifecycle",
    "orchestrator.cli.execution",
    "orchestrator.cli.transfer",
    "orchestrator.cli.distribution",
]


# Root options that take a value, to find the verb on a command line.
_VALUED_OPTIONS = frozenset(
    {
        "--root",
        "--file",
        "-f",
        "--project-name",
        "-p",
        "--profile",
        "--env-file",
        "--project-directory",
    }
)


def version_string() -> str:
    """`pycompose version X.Y.Z`."""
    from orchestrator.version import version

    return f"pycompose version {version()}"


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


def verb_of(args: list[str]) -> str | None:
    """The command a command line runs (`ps` in `pycompose -f app.yaml ps -a`), or None
    when it asks for help before naming one."""
    position = 0
    while position < len(args):
        arg = args[position]
        if arg in ("-h", "--help"):
            return None
        if not arg.startswith("-"):
            return arg
        position += 2 if arg in _VALUED_OPTIONS else 1
    return None


def _command_name(info: typer.models.CommandInfo) -> str:
    if info.name:
        return info.name
    callback = info.callback
    return getattr(callback, "__name__", "").replace("_", "-")


def _register(verb: str | None = None) -> None:
    """Add the command groups and verbs to `app`. When the command line names a verb,
    only that one is kept: typer turns every registered command into a click command
    on each run, which costs more than the rest of a quick command like `ps`."""
    for module_name, name, help_text in GROUPS:
        if verb is not None and verb != name:
            continue
        module = importlib.import_module(module_name)
        app.add_typer(module.app, name=name, help=help_text)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    if verb is None or any(group[1] == verb for group in GROUPS):
        if verb is not None:
            app.registered_commands = []
        return
    chosen = [info for info in app.registered_commands if _command_name(info) == verb]
    if chosen:
        app.registered_commands = chosen
    else:
        # An unknown verb: register every group too, so the error lists what exists.
        _register_all_groups()


def _register_all_groups() -> None:
    known = {group.name for group in app.registered_groups}
    for module_name, name, help_text in GROUPS:
        if name not in known:
            module = importlib.import_module(module_name)
            app.add_typer(module.app, name=name, help=help_text)


def _error_types() -> tuple[type[BaseException], ...]:
    """The exception families a user gets as one line; only those of packages already
    loaded can have been raised, so nothing is imported here."""
    families = (
        ("specs.errors", "SpecError"),
        ("runtime.errors", "EngineError"),
        ("orchestrator.errors", "OrchestratorError"),
    )
    return tuple(
        getattr(sys.modules[module], name) for module, name in families if module in sys.modules
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pycompose` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("PYCOMPOSE_DEBUG") == "1"
    _register(verb_of(args))
    try:
        app(args=args, prog_name="pycompose", standalone_mode=True)
    except Exception as exc:
        if not isinstance(exc, _error_types()):
            raise
        if debug:
            traceback.print_exc()
        message = str(exc)
        click.echo(
            f"pycompose: {message}" if not message.startswith("pycompose") else message, err=True
        )
        sys.exit(1)
