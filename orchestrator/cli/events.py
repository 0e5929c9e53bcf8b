"""`pycompose events`: what happens to the app's containers, as it happens."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.labels import PROJECT, SERVICE


def register(app: typer.Typer) -> None:
    """Add `events`."""
    app.command("events")(events)


@project_command
def events(
    command: ComposeCommand,
    services: Annotated[list[str] | None, typer.Argument(help="Services (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Replay events since a time or duration ago.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Stop at this time (no follow past it).")
    ] = None,
) -> None:
    """Stream the containers' events (create, start, die, health_status...)."""
    from orchestrator.cli.logs import parse_since

    project = command.project_name()
    wanted = set(services or ())
    stream = command.engine().containers.events(
        since=parse_since(since),
        until=parse_since(until),
        follow=until is None,
        filters={"label": [f"{PROJECT}={project}"]},
    )
    try:
        for event in stream:
            service = event.attributes.get(SERVICE, "")
            if wanted and service not in wanted:
                continue
            moment = datetime.fromtimestamp(event.time_nano / 1e9, UTC)
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "time": moment.isoformat(),
                            "type": "container",
                            "action": event.action,
                            "id": event.container_id,
                            "service": service,
                            "attributes": dict(event.attributes),
                        },
                        separators=(",", ":"),
                    )
                )
            else:
                details = ", ".join(f"{k}={v}" for k, v in sorted(event.attributes.items()))
                typer.echo(
                    f"{moment.isoformat()} container {event.action} {event.container_id} ({details})"
                )
    except KeyboardInterrupt:
        pass
