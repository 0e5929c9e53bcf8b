"""`container ps|ls|inspect|logs|top|port|wait`: reading containers, in Docker's formats."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestrator.cli.formatting import command_text, print_table

if TYPE_CHECKING:
    from runtime.containers.model import Container
    from runtime.network import PublishedPort

Many = list[str] | None
TABLE_TITLES = {
    "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED", "Ports": "PORTS", "Status": "STATUS", "State": "STATE",
    "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS",
}  # fmt: skip


def _engine(ctx: typer.Context) -> Any:
    from orchestrator.cli.container import open_engine

    return open_engine(ctx)


def _ports_text(ports: list[PublishedPort]) -> str:
    return ", ".join(p.describe() for p in ports)


def _ago(timestamp: str) -> str:
    from runtime.containers.timestamps import parse_timestamp, since_text

    moment = parse_timestamp(timestamp)
    return f"{since_text(time.time() - moment)} ago" if moment else ""


def ps_fields(container: Container, ports: list[PublishedPort], truncate: bool) -> dict[str, Any]:
    """The fields `docker ps --format` knows, for one container."""
    return {
        "ID": container.short_id if truncate else container.id,
        "Image": container.image,
        "Command": command_text(container, 20 if truncate else None),
        "CreatedAt": container.created,
        "RunningFor": _ago(container.created),
        "Ports": _ports_text(ports),
        "Status": container.status_text(),
        "State": container.state.status,
        "Names": container.name,
        "Labels": ",".join(f"{k}={v}" for k, v in container.labels.items()),
        "Mounts": ",".join(
            m.get("destination", "") for m in container.resolved.get("mounts") or []
        ),
        "Networks": ",".join(a.network for a in container.request.networks) or "bridge",
    }


def _filters(items: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in ("label", "name", "id", "status", "ancestor"):
            raise typer.BadParameter(
                f"invalid filter {item!r} (label=, name=, id=, status=, ancestor=)"
            )
        result.setdefault(key, []).append(value)
    return result


def _keep(container: Container, filters: dict[str, list[str]]) -> bool:
    checks = {
        "name": lambda v: v.lstrip("/") in container.name,
        "id": lambda v: container.id.startswith(v),
        "status": lambda v: container.state.status == v,
        "ancestor": lambda v: v in (container.image, container.image_id),
    }
    return all(
        any(checks[key](v) for v in values) for key, values in filters.items() if key in checks
    )


def render_rows(template: str, rows: list[dict[str, Any]]) -> None:
    """`--format`: json, a Go template, or `table <template>` with Docker's titles."""
    from orchestrator.cli.gotemplate import render

    if template == "json":
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if template.startswith("table"):
        body = template[5:].strip() or "{{.ID}}\t{{.Names}}"
        titles = {key: TABLE_TITLES.get(key, key.upper()) for key in TABLE_TITLES}
        header = render(body.replace("\\t", "\t"), titles).split("\t")
        lines = [render(body.replace("\\t", "\t"), row).split("\t") for row in rows]
        print_table(header, lines)
        return
    for row in rows:
        typer.echo(render(template.replace("\\t", "\t").replace("\\n", "\n"), row))


def ps(
    ctx: typer.Context,
    all: Annotated[bool, typer.Option("--all", "-a", help="Also stopped containers.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only ids.")] = False,
    no_trunc: Annotated[bool, typer.Option("--no-trunc")] = False,
    filter: Annotated[Many, typer.Option("--filter", "-f")] = None,
    format: Annotated[str | None, typer.Option("--format")] = None,
    last: Annotated[int, typer.Option("--last", "-n")] = -1,
    latest: Annotated[bool, typer.Option("--latest", "-l")] = False,
) -> None:
    """List containers."""
    filters = _filters(filter or [])
    labels: dict[str, str | None] = {}
    for item in filters.get("label", []):
        key, sep, value = item.partition("=")
        labels[key] = value if sep else None
    engine = _engine(ctx)
    listing = [
        c
        for c in engine.containers.list(all=all or last >= 0 or latest, labels=labels)
        if _keep(c, filters)
    ]
    if latest:
        listing = listing[:1]
    elif last >= 0:
        listing = listing[:last]
    if quiet:
        for container in listing:
            typer.echo(container.id if no_trunc else container.short_id)
        return
    ports = engine.containers.published_ports()
    rows = [
        ps_fields(c, [p for p in ports if p.container_id == c.id], not no_trunc) for c in listing
    ]
    if format:
        render_rows(format, rows)
        return
    keys = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"]
    print_table([TABLE_TITLES[k] for k in keys], [[str(row[k]) for k in keys] for row in rows])


def inspect(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Containers.")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="Go template.")] = None,
) -> None:
    """Show containers as Docker's `inspect` does."""
    from orchestrator.cli.gotemplate import TemplateError, render
    from runtime.errors import EngineError

    containers = _engine(ctx).containers
    found, failed = [], False
    for name in names:
        try:
            found.append(containers.inspect(name))
        except EngineError as exc:
            typer.echo(f"pycompose: {exc}", err=True)
            failed = True
    if format:
        try:
            for data in found:
                typer.echo(render(format, data))
        except TemplateError as exc:
            typer.echo(f"pycompose: template: {exc}", err=True)
            raise typer.Exit(1) from None
    else:
        typer.echo(json.dumps(found, indent=4))
    if failed:
        raise typer.Exit(1)


def logs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Container.")],
    follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
    tail: Annotated[
        str, typer.Option("--tail", "-n", help="Lines from the end, or 'all'.")
    ] = "all",
    timestamps: Annotated[bool, typer.Option("--timestamps", "-t")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Timestamp or duration (10m).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until")] = None,
) -> None:
    """Show a container's output."""
    from runtime.containers.timestamps import parse_since

    try:
        lines = None if tail == "all" else int(tail)
        start = parse_since(since) if since else None
        end = parse_since(until) if until else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    out, err = sys.stdout.buffer, sys.stderr.buffer
    entries = _engine(ctx).containers.logs(name, follow=follow, tail=lines, since=start, until=end)
    for entry in entries:
        stream = err if entry.stream == "stderr" else out
        if timestamps:
            stream.write(entry.time.encode() + b" ")
        stream.write(entry.data)
        if follow:
            stream.flush()


def top(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Container.")],
    ps_args: Annotated[list[str] | None, typer.Argument(help="ps options.")] = None,
) -> None:
    """Show the processes of a container."""
    titles, rows = _engine(ctx).containers.top(name, ps_args or [])
    print_table(titles, rows)


def port(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Container.")],
    private: Annotated[str | None, typer.Argument(help="PORT[/PROTO]")] = None,
) -> None:
    """List a container's published ports."""
    ports = _engine(ctx).containers.port(name)
    if private:
        number, _, protocol = private.partition("/")
        ports = [p for p in ports if str(p.container_port) == number
                 and p.protocol == (protocol or "tcp")]  # fmt: skip
        if not ports:
            typer.echo(f"pycompose: no public port '{private}' published for {name}", err=True)
            raise typer.Exit(1)
        for p in ports:
            typer.echo(f"{p.host_ip or '0.0.0.0'}:{p.host_port}")
        return
    for p in ports:
        typer.echo(f"{p.container_port}/{p.protocol} -> {p.host_ip or '0.0.0.0'}:{p.host_port}")


def wait(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Containers.")],
    condition: Annotated[str, typer.Option("--condition")] = "not-running",
) -> None:
    """Block until containers stop, then print their exit codes."""
    from orchestrator.cli.container import each

    containers = _engine(ctx).containers
    each(names, lambda name: typer.echo(containers.wait(name, condition)))


def register(app: typer.Typer) -> None:
    """Add these commands to the `container` group."""
    help_only = {"help_option_names": ["--help"]}
    app.command("ps", context_settings=help_only)(ps)
    app.command("ls", context_settings=help_only)(ps)
    app.command("inspect", context_settings=help_only)(inspect)
    app.command("logs", context_settings=help_only)(logs)
    app.command("top", context_settings={**help_only, "allow_interspersed_args": False})(top)
    app.command("port", context_settings=help_only)(port)
    app.command("wait", context_settings=help_only)(wait)
