"""`pycompose system check`: list what the engine root left on the machine.

Every mount, cgroup, pinned network namespace, link, nftables table, process,
lock and file of the root that no container, network or volume in its store
explains (runtime.residue) is printed, one line each, and the command exits 1;
a clean root prints "no residue" and exits 0. `--format json` prints a list.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def check(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("--format", help="table (one line per item) or json.")
    ] = "table",
    links: Annotated[
        bool,
        typer.Option(
            "--links/--no-links",
            help="Count network devices of this network namespace (off when other roots share it).",
        ),
    ] = True,
) -> None:
    """List what the engine left behind that no container, network or volume explains."""
    from orchestrator.cli.image import open_store
    from runtime.residue import find_residue

    if output not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    found = find_residue(open_store(ctx), links=links)
    if output == "json":
        typer.echo(json.dumps([item.to_dict() for item in found], indent=2))
    elif not found:
        typer.echo("no residue")
    for item in found if output == "table" else ():
        typer.echo(item.line)
    if found:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `check` to the `system` group."""
    app.command("check")(check)
