"""`pycompose logs`: the output of the app's containers, prefixed by service and replica."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from runtime.containers.model import Container


def register(app: typer.Typer) -> None:
    """Add `logs`."""
    app.command("logs")(logs)


def parse_since(text: str | None, now: float | None = None) -> float | None:
    """`--since`: a timestamp (RFC 3339, or seconds since the epoch) or a duration ago (`10m`)."""
    if text is None:
        return None
    from orchestrator.cli.formatting import parse_time

    moment = parse_time(text)
    if moment is not None:
        return moment
    try:
        return float(text)
    except ValueError:
        pass
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            try:
                amount = float(text[: -len(unit)])
            except ValueError:
                break
            return (time.time() if now is None else now) - amount * units[unit]
    raise OrchestratorError(f"--since {text}: expected a timestamp or a duration like 10m or 1h")


@project_command
def logs(
    command: ComposeCommand,
    services: Annotated[list[str] | None, typer.Argument(help="Services (default: all).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Follow the output.")] = False,
    tail: Annotated[
        str, typer.Option("--tail", "-n", help="Lines from the end of each log (or all).")
    ] = "all",
    timestamps: Annotated[
        bool, typer.Option("--timestamps", "-t", help="Show timestamps.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Since a time or a duration ago (10m).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Until a time or a duration ago.")
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Monochrome output.")] = False,
    no_log_prefix: Annotated[
        bool, typer.Option("--no-log-prefix", help="Do not prefix lines.")
    ] = False,
    index: Annotated[int | None, typer.Option("--index", help="Only this replica.")] = None,
) -> None:
    """Show the output of the app's containers."""
    from orchestrator.logstream import LogFormat, LogStream, prefix_of, print_lines

    if tail != "all" and not tail.isdigit():
        raise OrchestratorError(f"--tail {tail}: expected a number or all")
    engine = command.engine()
    chosen = list(services or ())
    found = command.containers(chosen, oneoff=True)
    if index is not None:
        found = [
            c for c in found if c.labels.get("com.docker.compose.container-number") == str(index)
        ]
    stream = LogStream(
        engine,
        follow=follow,
        tail=None if tail == "all" else int(tail),
        since=parse_since(since),
        until=parse_since(until),
    )
    form = LogFormat(
        color=not no_color and sys.stdout.isatty(), timestamps=timestamps, prefix=not no_log_prefix
    )
    form.width = max((len(prefix_of(c)[0]) for c in found), default=0)
    for container in found:
        stream.add(container)
    if follow:
        known = {c.id for c in found}
        wanted_services = set(chosen)

        def wanted(container: Container) -> bool:
            service = container.labels.get("com.docker.compose.service")
            return container.id not in known and (not wanted_services or service in wanted_services)

        stream.watch_project(command.project_name(), wanted)
    if not found and not follow:
        return
    try:
        print_lines(stream, sys.stdout, form, until_all_finished=not follow)
    except KeyboardInterrupt:
        pass
    finally:
        stream.stop()
