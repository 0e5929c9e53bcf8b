"""`pycompose up` and `pycompose create`: converge the app to its file (and run it attached)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.compose_command import ComposeCommand, parallel_limit, project_command
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.progress import Progress
    from orchestrator.up import UpOptions, UpReport

KUBERNETES_CONTEXT = "kubernetes"


class PullPolicy(StrEnum):
    """`--pull`."""

    always = "always"
    missing = "missing"
    never = "never"


Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]
Build = Annotated[bool, typer.Option("--build", help="Build images before starting.")]
NoBuild = Annotated[bool, typer.Option("--no-build", help="Never build; missing images fail.")]
Pull = Annotated[
    PullPolicy | None, typer.Option("--pull", help="Pull images: always|missing|never.")
]
ForceRecreate = Annotated[
    bool, typer.Option("--force-recreate", help="Recreate containers even if nothing changed.")
]
NoRecreate = Annotated[
    bool, typer.Option("--no-recreate", help="Keep existing containers even if they changed.")
]
NoDeps = Annotated[bool, typer.Option("--no-deps", help="Do not start the services' dependencies.")]
Scale = Annotated[
    list[str] | None, typer.Option("--scale", metavar="SERVICE=N", help="Replicas of a service.")
]
RemoveOrphans = Annotated[
    bool, typer.Option("--remove-orphans", help="Remove containers of services not in the file.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
Parallel = Annotated[
    int | None,
    typer.Option(
        "--parallel", help="Engine operations at once (-1: no limit; COMPOSE_PARALLEL_LIMIT)."
    ),
]
Timeout = Annotated[
    float | None, typer.Option("--timeout", "-t", help="Seconds to wait for a stop before SIGKILL.")
]


def register(app: typer.Typer) -> None:
    """Add `up` and `create`."""
    app.command("up")(up)
    app.command("create")(create)


def parse_scale(entries: list[str] | None) -> dict[str, int]:
    """`--scale web=3` entries as {service: replicas}."""
    scale: dict[str, int] = {}
    for entry in entries or []:
        name, _, count = entry.partition("=")
        if not name or not count.isdigit():
            raise OrchestratorError(f"--scale {entry}: expected SERVICE=NUMBER, like web=3")
        scale[name] = int(count)
    return scale


def _up_options(
    services: list[str] | None,
    *,
    build: bool,
    no_build: bool,
    pull: PullPolicy | None,
    force_recreate: bool,
    no_recreate: bool,
    no_deps: bool,
    scale: list[str] | None,
    remove_orphans: bool,
    dry_run: bool,
    parallel: int | None,
    timeout: float | None,
    start: bool,
    wait: bool = False,
    wait_timeout: float | None = None,
) -> UpOptions:
    from orchestrator.converge import ConvergeOptions
    from orchestrator.images import ImageOptions
    from orchestrator.plan import PlanOptions
    from orchestrator.up import UpOptions

    if build and no_build:
        raise OrchestratorError("--build and --no-build cannot be used together")
    if force_recreate and no_recreate:
        raise OrchestratorError("--force-recreate and --no-recreate cannot be used together")
    return UpOptions(
        services=tuple(services or ()),
        no_deps=no_deps,
        scale=parse_scale(scale),
        images=ImageOptions(
            build=True if build else (False if no_build else None),
            pull=pull.value if pull else None,
        ),
        plan=PlanOptions(
            force_recreate=force_recreate, no_recreate=no_recreate, remove_orphans=remove_orphans
        ),
        converge=ConvergeOptions(
            parallel=parallel_limit(parallel),
            stop_timeout=timeout,
            start=start,
            wait_timeout=wait_timeout,
        ),
        dry_run=dry_run,
        wait=wait,
        wait_timeout=wait_timeout,
    )


def _converge(command: ComposeCommand, options: UpOptions, title: str) -> UpReport:
    from orchestrator.up import up as run_up

    project = command.project(options.services)
    engine = command.engine()
    if options.dry_run:
        report = run_up(engine, project, options, _silent())
        for line in report.lines() or ["nothing to do"]:
            typer.echo(line)
        return report
    with command.progress(title) as progress:
        report = run_up(engine, project, options, progress)
    for orphan_line in _orphan_lines(report):
        typer.echo(f"pycompose: warning: {orphan_line}", err=True)
    for warning in report.result.warnings:
        typer.echo(f"pycompose: warning: {warning}", err=True)
    if report.nothing_to_do:
        count = len(report.plan.actions)
        typer.echo(
            f"Nothing to do: {count} container{'s' if count != 1 else ''} up to date", err=True
        )
    return report


def _silent() -> Progress:
    from orchestrator.progress import QuietProgress

    return QuietProgress()


def _orphan_lines(report: UpReport) -> list[str]:
    from orchestrator.lifecycle import orphan_warning

    services = sorted({orphan.service for orphan in report.plan.orphans})
    return [orphan_warning(services)] if services else []


@project_command
def up(
    command: ComposeCommand,
    services: Services = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")] = False,
    build: Build = False,
    no_build: NoBuild = False,
    pull: Pull = None,
    force_recreate: ForceRecreate = False,
    no_recreate: NoRecreate = False,
    no_deps: NoDeps = False,
    scale: Scale = None,
    remove_orphans: RemoveOrphans = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until services are running/healthy (implies -d).")
    ] = False,
    wait_timeout: Annotated[
        float | None, typer.Option("--wait-timeout", help="Seconds to wait for --wait.")
    ] = None,
    abort_on_container_exit: Annotated[
        bool,
        typer.Option("--abort-on-container-exit", help="Stop all containers if any one stops."),
    ] = False,
    exit_code_from: Annotated[
        str | None,
        typer.Option("--exit-code-from", help="Return this service's exit code (implies abort)."),
    ] = None,
    timeout: Timeout = None,
    dry_run: DryRun = False,
    parallel: Parallel = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Monochrome output.")] = False,
    no_log_prefix: Annotated[
        bool, typer.Option("--no-log-prefix", help="Do not prefix log lines.")
    ] = False,
    timestamps: Annotated[bool, typer.Option("--timestamps", help="Show timestamps.")] = False,
    context: Annotated[
        str | None, typer.Option("--context", help="Where to run: this machine, or kubernetes.")
    ] = None,
) -> None:
    """Create and start containers (pull, build, networks, volumes as needed)."""
    if context == KUBERNETES_CONTEXT:
        kubernetes(command, "up", remove_orphans=remove_orphans)
        return
    if context not in (None, "default"):
        raise OrchestratorError(f"unknown context {context!r}: use default or kubernetes")
    if detach and (abort_on_container_exit or exit_code_from):
        raise OrchestratorError(
            "-d cannot be combined with --abort-on-container-exit/--exit-code-from"
        )
    options = _up_options(
        services,
        build=build,
        no_build=no_build,
        pull=pull,
        force_recreate=force_recreate,
        no_recreate=no_recreate,
        no_deps=no_deps,
        scale=scale,
        remove_orphans=remove_orphans,
        dry_run=dry_run,
        parallel=parallel,
        timeout=timeout,
        start=True,
        wait=wait,
        wait_timeout=wait_timeout,
    )
    report = _converge(command, options, "Running")
    if detach or wait or dry_run:
        return
    from orchestrator.attached import AttachOptions, run_attached

    fresh = {
        container_id
        for key, container_id in report.result.containers.items()
        if any(a.changes and (a.service, a.number) == key for a in report.plan.actions)
    }
    code = run_attached(
        command.engine(),
        command.project().name,
        report.services,
        fresh,
        AttachOptions(
            abort_on_exit=abort_on_container_exit,
            exit_code_from=exit_code_from,
            stop_timeout=timeout,
            color=not no_color,
            timestamps=timestamps,
            prefix=not no_log_prefix,
        ),
    )
    if code:
        raise typer.Exit(code)


@project_command
def create(
    command: ComposeCommand,
    services: Services = None,
    build: Build = False,
    no_build: NoBuild = False,
    pull: Pull = None,
    force_recreate: ForceRecreate = False,
    no_recreate: NoRecreate = False,
    no_deps: NoDeps = False,
    scale: Scale = None,
    remove_orphans: RemoveOrphans = False,
    dry_run: DryRun = False,
    parallel: Parallel = None,
) -> None:
    """Create containers for the services without starting them."""
    options = _up_options(
        services,
        build=build,
        no_build=no_build,
        pull=pull,
        force_recreate=force_recreate,
        no_recreate=no_recreate,
        no_deps=no_deps,
        scale=scale,
        remove_orphans=remove_orphans,
        dry_run=dry_run,
        parallel=parallel,
        timeout=None,
        start=False,
    )
    _converge(command, options, "Creating")


def kubernetes(
    command: ComposeCommand, verb: str, *, remove_orphans: bool = False, volumes: bool = False
) -> None:
    """Hand `up`/`down --context kubernetes` to the Kubernetes target (`pycompose kube up` /
    `kube down` with the default cluster options)."""
    try:
        from orchestrator.cli.kubernetes import ClusterOptions, deploy, undeploy
    except ImportError:
        raise OrchestratorError(
            "--context kubernetes needs the Kubernetes target, which this pycompose does not have"
        ) from None
    if verb == "up":
        deploy(command.options, ClusterOptions(), remove_orphans=remove_orphans)
    else:
        undeploy(command.options, ClusterOptions(), volumes=volumes)
