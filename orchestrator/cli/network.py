"""`pycompose network create|ls|inspect|rm|prune`: bridge networks, as `docker network` has them."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from runtime.network import Networks

app = typer.Typer(no_args_is_help=True)


def _networks(ctx: typer.Context) -> Networks:
    from runtime.network import Networks
    from runtime.store import Store

    return Networks(Store.open(ctx.obj.root))


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    from runtime.network import NetworkError

    pairs = {}
    for value in values or []:
        key, sep, item = value.partition("=")
        if not key:
            raise NetworkError(f"invalid {what} {value!r}: expected KEY=VALUE")
        pairs[key] = item if sep else ""
    return pairs


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Network name.")],
    subnet: Annotated[str | None, typer.Option(help="Subnet in CIDR form.")] = None,
    gateway: Annotated[str | None, typer.Option(help="Gateway address in the subnet.")] = None,
    internal: Annotated[bool, typer.Option("--internal", help="No access to the outside.")] = False,
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE label.")] = None,
    driver: Annotated[str, typer.Option("--driver", "-d", help="Network driver.")] = "bridge",
    opt: Annotated[list[str] | None, typer.Option("--opt", "-o", help="Driver option.")] = None,
) -> None:
    """Create a network."""
    network = _networks(ctx).create(
        name,
        subnet=subnet,
        gateway=gateway,
        internal=internal,
        labels=_pairs(label, "label"),
        options=_pairs(opt, "option"),
        driver=driver,
    )
    typer.echo(network.id)


@app.command("ls")
def list_networks(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only show ids.")] = False,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", "-f", help="name=, id=, label=K[=V]")
    ] = None,
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Full ids.")] = False,
) -> None:
    """List networks."""
    from runtime.network import NetworkError

    selected = []
    for network in _networks(ctx).all():
        keep = True
        for item in filter_ or []:
            key, _, value = item.partition("=")
            if key == "name":
                keep &= value in network.name
            elif key == "id":
                keep &= network.id.startswith(value)
            elif key == "label":
                label, sep, wanted = value.partition("=")
                keep &= label in network.labels and (not sep or network.labels[label] == wanted)
            else:
                raise NetworkError(f"invalid filter {item!r}: use name=, id= or label=")
        if keep:
            selected.append(network)
    width = 64 if no_trunc else 12
    if quiet:
        for network in selected:
            typer.echo(network.id[:width])
        return
    rows = [("NETWORK ID", "NAME", "DRIVER", "SUBNET", "INTERNAL")]
    rows += [
        (n.id[:width], n.name, n.driver, str(n.subnet), "yes" if n.internal else "no")
        for n in selected
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@app.command("inspect")
def inspect(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Network names or ids.")],
) -> None:
    """Show networks in detail, as JSON."""
    networks = _networks(ctx)
    typer.echo(json.dumps([networks.inspect(name) for name in names], indent=4))


@app.command("rm")
def remove(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Network names or ids.")],
) -> None:
    """Remove networks no running container uses."""
    from runtime.network import NetworkError

    networks = _networks(ctx)
    failed = False
    for name in names:
        try:
            networks.remove(name)
        except NetworkError as exc:
            typer.echo(f"pycompose: {exc}", err=True)
            failed = True
            continue
        typer.echo(name)
    if failed:
        raise typer.Exit(1)


@app.command("prune")
def prune(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="label=K=V: only matching networks.")
    ] = None,
) -> None:
    """Remove every network no container uses."""
    labels = {}
    for item in filter_ or []:
        key, _, value = item.partition("=")
        if key != "label":
            from runtime.network import NetworkError

            raise NetworkError(f"invalid filter {item!r}: use label=KEY=VALUE")
        labels.update(_pairs([value], "label filter"))
    if not force:
        if not sys.stdin.isatty():
            typer.echo(
                "pycompose: refusing to prune without --force (no terminal to ask)", err=True
            )
            raise typer.Exit(1)
        typer.confirm(
            "WARNING! This will remove all networks not used by at least one container.\n"
            "Are you sure you want to continue?",
            abort=True,
        )
    removed = _networks(ctx).prune(labels)
    if removed:
        typer.echo("Deleted Networks:")
        for name in removed:
            typer.echo(name)
