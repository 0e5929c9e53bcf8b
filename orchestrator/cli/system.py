"""`pycompose system df|prune`: disk usage and clean-up, one section per kind of object.

Each kind (images and the build cache here; containers and volumes as they come)
adds a row to `df` and a step to `prune` through the two lists below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.formatting import human_size, print_table

if TYPE_CHECKING:
    from runtime.store import Store

app = typer.Typer(no_args_is_help=True)


def _images_usage(store: Store) -> list[str]:
    from runtime.images.garbage import images_usage

    usage = images_usage(store)
    share = f" ({usage.reclaimable * 100 // usage.size}%)" if usage.size else ""
    return [
        "Images",
        str(usage.total),
        str(usage.active),
        human_size(usage.size),
        human_size(usage.reclaimable) + share,
    ]


def _images_prune(store: Store, all_unused: bool) -> int:
    from orchestrator.cli.image import report_removal
    from runtime.images.garbage import prune_images

    result = prune_images(store, all_unused=all_unused)
    report_removal(result)
    return result.reclaimed


def _containers_usage(store: Store) -> list[str]:
    from orchestrator.cli.container_admin import containers_usage

    return containers_usage(store)


def _containers_prune(store: Store, all_unused: bool) -> int:
    from orchestrator.cli.container_admin import containers_prune

    return containers_prune(store)


def _build_cache_usage(store: Store) -> list[str]:
    from runtime.build.cache import BuildCache

    usage = BuildCache(store).usage()
    share = f" ({usage.reclaimable * 100 // usage.size}%)" if usage.size else ""
    return [
        "Build Cache",
        str(usage.entries),
        "0",
        human_size(usage.size),
        human_size(usage.reclaimable) + share,
    ]


def _build_cache_prune(store: Store, all_unused: bool) -> int:
    from runtime.build.cache import prune_build_cache

    removed, freed = prune_build_cache(store)
    if removed:
        typer.echo(f"Deleted build cache objects: {removed}")
    typer.echo(f"Total reclaimed space: {human_size(freed)}")
    return freed


# (row of `system df`) and (step of `system prune`), in display order.
USAGE_ROWS: list[Callable[[Store], list[str]]] = [
    _images_usage,
    _containers_usage,
    _build_cache_usage,
]
PRUNE_STEPS: list[Callable[[Store, bool], int]] = [
    _containers_prune,
    _images_prune,
    _build_cache_prune,
]


@app.command("df")
def disk_usage(ctx: typer.Context) -> None:
    """Show the disk space used by images (and other objects)."""
    from orchestrator.cli.image import open_store

    store = open_store(ctx)
    print_table(
        ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], [row(store) for row in USAGE_ROWS]
    )


@app.command("prune")
def prune(
    ctx: typer.Context,
    all_unused: Annotated[
        bool, typer.Option("--all", "-a", help="Remove all unused images, not only dangling ones.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
) -> None:
    """Remove unused data."""
    from orchestrator.cli.image import open_store

    if not force and not typer.confirm(
        "WARNING! This will remove unused data. Are you sure you want to continue?"
    ):
        raise typer.Exit(1)
    store = open_store(ctx)
    for step in PRUNE_STEPS:
        step(store, all_unused)


def _register_boot_commands() -> None:
    from orchestrator.cli.boot import register
    from orchestrator.cli.check import register as register_check

    register(app)
    register_check(app)


_register_boot_commands()
