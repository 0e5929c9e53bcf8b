"""`pycompose system restore` and `system install-unit`: containers back after a reboot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.options import GlobalOptions


def register(app: typer.Typer) -> None:
    """Add `restore` and `install-unit` to the `system` group."""
    app.command("restore")(restore)
    app.command("install-unit")(install_unit)


def _root(ctx: typer.Context) -> str | None:
    found = ctx.find_object(GlobalOptions)
    return found.root if found else None


def restore(ctx: typer.Context) -> None:
    """Start, in dependency order, the containers whose restart policy says so (at boot)."""
    from orchestrator.errors import OrchestratorError
    from orchestrator.progress import progress_for
    from orchestrator.restore import restore as bring_back
    from runtime.engine import Engine

    engine = Engine.open(_root(ctx))
    with progress_for(sys.stderr, title="Restoring") as progress:
        report = bring_back(engine, progress)
    if report.failures:
        raise OrchestratorError("some containers did not come back: " + "; ".join(report.failures))
    typer.echo(f"restored {len(report.started)} container{'s' if len(report.started) != 1 else ''}")


def install_unit(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the unit.")] = Path(
        "/etc/systemd/system"
    ),
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the unit instead of writing it.")
    ] = False,
) -> None:
    """Write a systemd unit that runs `system restore` at boot."""
    from orchestrator.boot_unit import install_unit as write_unit
    from orchestrator.boot_unit import pycompose_executable, render_unit, unit_name
    from runtime.store import Layout

    root = str(Layout.from_env(_root(ctx)).root)
    executable = pycompose_executable()
    if print_only:
        typer.echo(render_unit(executable, root), nl=False)
        return
    name = unit_name(_root(ctx))
    path = write_unit(directory, executable, root, name)
    typer.echo(f"wrote {path}; enable it with: systemctl daemon-reload && systemctl enable {name}")
