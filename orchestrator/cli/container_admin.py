"""`container stop|restart|kill|pause|unpause|rm|prune|rename|cp|commit`: changing containers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

Many = list[str] | None


def _engine(ctx: typer.Context) -> Any:
    from orchestrator.cli.container import open_engine

    return open_engine(ctx)


def _each(names: list[str], action: Any) -> None:
    from orchestrator.cli.container import each

    def act(name: str) -> None:
        action(name)
        typer.echo(name)

    each(names, act)


Names = Annotated[list[str], typer.Argument(help="Containers.")]


def stop(
    ctx: typer.Context,
    names: Names,
    time: Annotated[
        int | None, typer.Option("--time", "-t", help="Seconds before SIGKILL.")
    ] = None,
    signal: Annotated[str | None, typer.Option("--signal", "-s")] = None,
) -> None:
    """Stop running containers (stop signal, grace period, SIGKILL)."""
    containers = _engine(ctx).containers
    _each(names, lambda n: containers.stop(n, timeout=time, signal=signal))


def restart(
    ctx: typer.Context,
    names: Names,
    time: Annotated[int | None, typer.Option("--time", "-t")] = None,
) -> None:
    """Restart containers."""
    containers = _engine(ctx).containers
    _each(names, lambda n: containers.restart(n, timeout=time))


def kill(
    ctx: typer.Context,
    names: Names,
    signal: Annotated[str, typer.Option("--signal", "-s")] = "KILL",
) -> None:
    """Send a signal (default SIGKILL) to containers."""
    containers = _engine(ctx).containers
    _each(names, lambda n: containers.kill(n, signal))


def pause(ctx: typer.Context, names: Names) -> None:
    """Freeze all processes of containers."""
    containers = _engine(ctx).containers
    _each(names, containers.pause)


def unpause(ctx: typer.Context, names: Names) -> None:
    """Thaw paused containers."""
    containers = _engine(ctx).containers
    _each(names, containers.unpause)


def rm(
    ctx: typer.Context,
    names: Names,
    force: Annotated[bool, typer.Option("--force", "-f", help="Kill it first if it runs.")] = False,
    volumes: Annotated[
        bool, typer.Option("--volumes", "-v", help="Remove anonymous volumes.")
    ] = False,
) -> None:
    """Remove containers."""
    containers = _engine(ctx).containers
    _each(names, lambda n: containers.remove(n, force=force, volumes=volumes))


def prune(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False,
    filter: Annotated[Many, typer.Option("--filter", help="label=KEY[=VALUE]")] = None,
) -> None:
    """Remove all stopped containers."""
    labels: dict[str, str | None] = {}
    for item in filter or []:
        key, _, value = item.partition("=")
        if key != "label":
            raise typer.BadParameter(f"unsupported filter {key!r} (label=)")
        name, sep, wanted = value.partition("=")
        labels[name] = wanted if sep else None
    if not force and not typer.confirm(
        "WARNING! This will remove all stopped containers. Are you sure you want to continue?"
    ):
        raise typer.Exit(1)
    removed = _engine(ctx).containers.prune(labels or None)
    typer.echo("Deleted Containers:")
    for container_id in removed:
        typer.echo(container_id)


def containers_usage(store: Any) -> list[str]:
    """The Containers row of `system df`."""
    from orchestrator.cli.formatting import human_size
    from runtime.engine import Engine

    total, active, size, reclaimable = Engine(store).containers.disk_usage()
    share = f" ({reclaimable * 100 // size}%)" if size else ""
    return [
        "Containers",
        str(total),
        str(active),
        human_size(size),
        human_size(reclaimable) + share,
    ]


def containers_prune(store: Any) -> int:
    """The containers step of `system prune`: stopped containers go; bytes freed."""
    from runtime.engine import Engine

    containers = Engine(store).containers
    sizes = {c.id: c.directory for c in containers.list(all=True)}
    from runtime.containers.removal import writable_layer_size

    freed = {cid: writable_layer_size(path / "upper") for cid, path in sizes.items()}
    removed = containers.prune()
    if removed:
        typer.echo("Deleted Containers:")
        for container_id in removed:
            typer.echo(container_id)
    return sum(freed[cid] for cid in removed)


def rename(ctx: typer.Context, old: str, new: str) -> None:
    """Rename a container."""
    _engine(ctx).containers.rename(old, new)


def _split(text: str) -> tuple[str | None, str]:
    """`container:path` or a host path (a path with a slash before any colon is local)."""
    if text == "-":
        return None, text
    head, sep, tail = text.partition(":")
    if sep and head and "/" not in head:
        return head, tail
    return None, text


def cp(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="CONTAINER:PATH, a host path or - (tar).")],
    destination: Annotated[str, typer.Argument(help="CONTAINER:PATH, a host path or - (tar).")],
    follow_link: Annotated[bool, typer.Option("--follow-link", "-L")] = False,
    archive: Annotated[bool, typer.Option("--archive", "-a", help="Accepted for Docker.")] = False,
) -> None:
    """Copy files between a container and the host."""
    source_container, source_path = _split(source)
    target_container, target_path = _split(destination)
    containers = _engine(ctx).containers
    if (source_container is None) == (target_container is None):
        typer.echo("pycompose: copying needs exactly one CONTAINER:PATH", err=True)
        raise typer.Exit(1)
    if source_container is not None:
        out: Any = sys.stdout.buffer if target_path == "-" else Path(target_path)
        containers.copy_from(source_container, source_path, out, follow_link=follow_link)
        if target_path == "-":
            sys.stdout.buffer.flush()
    else:
        assert target_container is not None
        data: Any = sys.stdin.buffer if source_path == "-" else Path(source_path).absolute()
        containers.copy_to(target_container, data, target_path)


def commit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Container.")],
    reference: Annotated[str | None, typer.Argument(help="REPOSITORY[:TAG]")] = None,
    author: Annotated[str | None, typer.Option("--author", "-a")] = None,
    change: Annotated[Many, typer.Option("--change", "-c", help="Dockerfile instruction.")] = None,
    message: Annotated[str | None, typer.Option("--message", "-m")] = None,
    pause: Annotated[bool, typer.Option("--pause/--no-pause", "-p")] = True,
) -> None:
    """Create an image from a container's changes."""
    image = _engine(ctx).containers.commit(
        name, reference=reference, changes=change or [], message=message, author=author, pause=pause
    )
    typer.echo(image.id)


def register(app: typer.Typer) -> None:
    """Add these commands to the `container` group."""
    help_only = {"help_option_names": ["--help"]}
    for name, command in (
        ("stop", stop), ("restart", restart), ("kill", kill), ("pause", pause),
        ("unpause", unpause), ("rm", rm), ("prune", prune), ("rename", rename), ("cp", cp),
        ("commit", commit),
    ):  # fmt: skip
        app.command(name, context_settings=help_only)(command)
