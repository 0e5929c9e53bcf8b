"""`pycompose volume create|ls|inspect|rm|prune`: named and anonymous volumes, as Docker's."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.options import GlobalOptions

if TYPE_CHECKING:
    from runtime.volumes import VolumeStore

app = typer.Typer(no_args_is_help=True)


def _volumes(ctx: typer.Context) -> VolumeStore:
    from runtime.store import Store
    from runtime.volumes import VolumeStore

    options: GlobalOptions = ctx.obj
    return VolumeStore(Store.open(options.root))


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    result = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not key:
            raise typer.BadParameter(f"{what} must be KEY=VALUE, got {item!r}")
        result[key] = value if sep else ""
    return result


def _filters(items: list[str] | None) -> tuple[dict[str, str | None], bool | None]:
    labels: dict[str, str | None] = {}
    dangling = None
    for item in items or []:
        key, _, value = item.partition("=")
        if key == "label":
            name, sep, wanted = value.partition("=")
            labels[name] = wanted if sep else None
        elif key == "dangling":
            dangling = value.lower() in ("1", "true")
        else:
            raise typer.BadParameter(f"unsupported filter {key!r} (label=, dangling=)")
    return labels, dangling


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Volume name (random if omitted).")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE")] = None,
    driver: Annotated[str, typer.Option("--driver", "-d", help="Only 'local'.")] = "local",
    opt: Annotated[list[str] | None, typer.Option("--opt", "-o", help="Driver options.")] = None,
) -> None:
    """Create a volume."""
    from runtime.errors import VolumeError

    if driver != "local":
        raise VolumeError(f"volume driver {driver!r} is not supported (only 'local')")
    volume = _volumes(ctx).create(name, _pairs(label, "--label"), _pairs(opt, "--opt"))
    typer.echo(volume.name)


@app.command("ls")
def ls(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only names.")] = False,
    filter: Annotated[list[str] | None, typer.Option("--filter", "-f")] = None,
    format: Annotated[str | None, typer.Option("--format", help="'json'")] = None,
) -> None:
    """List volumes."""
    labels, dangling = _filters(filter)
    volumes = _volumes(ctx).list_volumes(labels=labels or None, dangling=dangling)
    if format == "json":
        for volume in volumes:
            typer.echo(
                json.dumps({"Driver": "local", "Name": volume.name, "Labels": volume.labels})
            )
        return
    if quiet:
        for volume in volumes:
            typer.echo(volume.name)
        return
    typer.echo(f"{'DRIVER':<10}VOLUME NAME")
    for volume in volumes:
        typer.echo(f"{'local':<10}{volume.name}")


@app.command("inspect")
def inspect(
    ctx: typer.Context, names: Annotated[list[str], typer.Argument(help="Volume names.")]
) -> None:
    """Show volumes as JSON."""
    store = _volumes(ctx)
    typer.echo(json.dumps([store.get(name).inspect() for name in names], indent=4))


@app.command("rm")
def rm(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Volume names.")],
    force: Annotated[bool, typer.Option("--force", "-f", help="Remove even if in use.")] = False,
) -> None:
    """Remove volumes (refused while a container uses one)."""
    store = _volumes(ctx)
    for name in names:
        store.remove(name, force=force)
        typer.echo(name)


@app.command("prune")
def prune(
    ctx: typer.Context,
    all: Annotated[bool, typer.Option("--all", "-a", help="Also named volumes.")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
    filter: Annotated[list[str] | None, typer.Option("--filter")] = None,
) -> None:
    """Remove unused volumes (anonymous ones unless --all)."""
    if not force and not typer.confirm("Remove all unused volumes?", default=False):
        raise typer.Exit(1)
    labels, _ = _filters(filter)
    removed = _volumes(ctx).prune(all=all, labels=labels or None)
    typer.echo("Deleted Volumes:")
    for name in removed:
        typer.echo(name)
