"""`pycompose container ...`: Docker's single-container verbs over the engine's container manager.

    run create start stop restart kill pause unpause rm ps ls inspect logs exec
    top port cp commit wait rename prune

Containers are named by name, full id or unique id prefix. The commands live
in three modules by concern: this one (the group and what starts processes:
run, create, start, exec), container_views.py (what is read: ps, inspect,
logs, top, port, wait) and container_admin.py (what changes state: stop,
kill, rm, cp, commit, ...).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestrator.cli.options import GlobalOptions

if TYPE_CHECKING:
    from runtime.engine import Engine

app = typer.Typer(no_args_is_help=True)
POSITIONAL = {"allow_interspersed_args": False, "help_option_names": ["--help"]}
Many = list[str] | None


def open_engine(ctx: typer.Context) -> Engine:
    """The engine of the `--root` the user chose."""
    from runtime.engine import Engine

    options: GlobalOptions | None = ctx.obj
    return Engine.open(options.root if options else None)


def each(names: list[str], action: object) -> None:
    """Apply `action(name)` to every name; report failures as Docker does, exit 1 if any."""
    from runtime.errors import EngineError

    failed = False
    for name in names:
        try:
            action(name)  # type: ignore[operator]
        except EngineError as exc:
            typer.echo(f"pycompose: {exc}", err=True)
            failed = True
    if failed:
        raise typer.Exit(1)


def _ensure_image(engine: Engine, image: str) -> None:
    """Pull the image if it is not here, as `docker run` does."""
    if engine.images.find(image) is not None:
        return
    from runtime.images.progress import reporter_for
    from runtime.images.pull import pull_image

    typer.echo(f"Unable to find image '{image}' locally", err=True)
    reporter = reporter_for(False)
    try:
        result = pull_image(engine.store, image, reporter=reporter)
    finally:
        reporter.close()
    typer.echo(f"Digest: {result.digest}", err=True)
    typer.echo(result.status, err=True)


def run_or_create(
    ctx: typer.Context,
    image: Annotated[str, typer.Argument(help="Image to run.")],
    command: Annotated[list[str] | None, typer.Argument(help="Command and arguments.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Container name.")] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")] = False,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Keep stdin open.")
    ] = False,
    tty: Annotated[bool, typer.Option("--tty", "-t", help="Allocate a terminal.")] = False,
    rm: Annotated[bool, typer.Option("--rm", help="Remove the container when it exits.")] = False,
    env: Annotated[Many, typer.Option("--env", "-e", help="KEY=VALUE")] = None,
    env_file: Annotated[Many, typer.Option("--env-file", help="File of KEY=VALUE lines.")] = None,
    volume: Annotated[Many, typer.Option("--volume", "-v", help="[src:]dst[:ro]")] = None,
    mount: Annotated[Many, typer.Option("--mount", help="type=..,source=..,target=..")] = None,
    tmpfs: Annotated[Many, typer.Option("--tmpfs", help="/path[:size=..]")] = None,
    publish: Annotated[Many, typer.Option("--publish", "-p", help="[ip:][host:]port")] = None,
    network: Annotated[Many, typer.Option("--network", "--net", help="Network or mode.")] = None,
    network_alias: Annotated[Many, typer.Option("--network-alias")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="IPv4 address.")] = None,
    hostname: Annotated[str | None, typer.Option("--hostname", "-h")] = None,
    domainname: Annotated[str | None, typer.Option("--domainname")] = None,
    memory: Annotated[str | None, typer.Option("--memory", "-m", help="e.g. 512m")] = None,
    memory_swap: Annotated[str | None, typer.Option("--memory-swap")] = None,
    memory_reservation: Annotated[str | None, typer.Option("--memory-reservation")] = None,
    cpus: Annotated[float | None, typer.Option("--cpus")] = None,
    cpu_shares: Annotated[int | None, typer.Option("--cpu-shares", "-c")] = None,
    cpuset_cpus: Annotated[str | None, typer.Option("--cpuset-cpus")] = None,
    cpuset_mems: Annotated[str | None, typer.Option("--cpuset-mems")] = None,
    pids_limit: Annotated[int | None, typer.Option("--pids-limit")] = None,
    workdir: Annotated[str | None, typer.Option("--workdir", "-w")] = None,
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
    group_add: Annotated[Many, typer.Option("--group-add")] = None,
    entrypoint: Annotated[str | None, typer.Option("--entrypoint")] = None,
    restart: Annotated[
        str | None, typer.Option("--restart", help="no|always|on-failure[:N]|unless-stopped")
    ] = None,
    health_cmd: Annotated[str | None, typer.Option("--health-cmd")] = None,
    health_interval: Annotated[str | None, typer.Option("--health-interval")] = None,
    health_timeout: Annotated[str | None, typer.Option("--health-timeout")] = None,
    health_retries: Annotated[int | None, typer.Option("--health-retries")] = None,
    health_start_period: Annotated[str | None, typer.Option("--health-start-period")] = None,
    health_start_interval: Annotated[str | None, typer.Option("--health-start-interval")] = None,
    no_healthcheck: Annotated[bool, typer.Option("--no-healthcheck")] = False,
    cap_add: Annotated[Many, typer.Option("--cap-add")] = None,
    cap_drop: Annotated[Many, typer.Option("--cap-drop")] = None,
    privileged: Annotated[bool, typer.Option("--privileged")] = False,
    read_only: Annotated[bool, typer.Option("--read-only")] = False,
    init: Annotated[bool, typer.Option("--init")] = False,
    label: Annotated[Many, typer.Option("--label", "-l", help="KEY=VALUE")] = None,
    log_driver: Annotated[str | None, typer.Option("--log-driver")] = None,
    log_opt: Annotated[Many, typer.Option("--log-opt", help="max-size=.., max-file=..")] = None,
    runtime: Annotated[
        str | None, typer.Option("--runtime", help="pycompose, crun or runc")
    ] = None,
    stop_signal: Annotated[str | None, typer.Option("--stop-signal")] = None,
    stop_timeout: Annotated[int | None, typer.Option("--stop-timeout")] = None,
    dns: Annotated[Many, typer.Option("--dns")] = None,
    dns_search: Annotated[Many, typer.Option("--dns-search")] = None,
    dns_option: Annotated[Many, typer.Option("--dns-option")] = None,
    add_host: Annotated[Many, typer.Option("--add-host", help="host:ip")] = None,
    sysctl: Annotated[Many, typer.Option("--sysctl")] = None,
    ulimit: Annotated[Many, typer.Option("--ulimit")] = None,
    device: Annotated[Many, typer.Option("--device")] = None,
    security_opt: Annotated[Many, typer.Option("--security-opt")] = None,
    shm_size: Annotated[str | None, typer.Option("--shm-size")] = None,
    ipc: Annotated[str | None, typer.Option("--ipc")] = None,
    pid: Annotated[str | None, typer.Option("--pid")] = None,
    uts: Annotated[str | None, typer.Option("--uts")] = None,
    oom_score_adj: Annotated[int | None, typer.Option("--oom-score-adj")] = None,
    sig_proxy: Annotated[bool, typer.Option("--sig-proxy/--no-sig-proxy")] = True,
    detach_keys: Annotated[str, typer.Option("--detach-keys")] = "ctrl-p,ctrl-q",
) -> None:
    """Create a container (`create`), and start it (`run`)."""
    from orchestrator.cli.container_options import RunOptions, build_request
    from runtime.containers.errors import ContainerStartError
    from runtime.errors import EngineError

    running = ctx.info_name == "run"
    if interactive and tty and not os.isatty(0):
        typer.echo("pycompose: the input device is not a TTY", err=True)
        raise typer.Exit(1)
    options = RunOptions(
        image=image, command=list(command or []), name=name, detach=detach,
        interactive=interactive, tty=tty, remove=rm, env=env or [], env_file=env_file or [],
        volumes=volume or [], mounts=mount or [], tmpfs=tmpfs or [], publish=publish or [],
        networks=network or [], network_aliases=network_alias or [], ip=ip, hostname=hostname,
        domainname=domainname, memory=memory, memory_swap=memory_swap,
        memory_reservation=memory_reservation, cpus=cpus, cpu_shares=cpu_shares,
        cpuset_cpus=cpuset_cpus, cpuset_mems=cpuset_mems, pids_limit=pids_limit, workdir=workdir,
        user=user, group_add=group_add or [], entrypoint=entrypoint, restart=restart,
        health_cmd=health_cmd, health_interval=health_interval, health_timeout=health_timeout,
        health_retries=health_retries, health_start_period=health_start_period,
        health_start_interval=health_start_interval, no_healthcheck=no_healthcheck,
        cap_add=cap_add or [], cap_drop=cap_drop or [], privileged=privileged,
        read_only=read_only, init=init, labels=label or [], log_driver=log_driver,
        log_opts=log_opt or [], runtime=runtime, stop_signal=stop_signal,
        stop_timeout=stop_timeout, dns=dns or [], dns_search=dns_search or [],
        dns_options=dns_option or [], add_hosts=add_host or [], sysctls=sysctl or [],
        ulimits=ulimit or [], devices=device or [], security_opts=security_opt or [],
        shm_size=shm_size, ipc=ipc, pid=pid, uts=uts, oom_score_adj=oom_score_adj,
    )  # fmt: skip
    request = build_request(options)
    engine = open_engine(ctx)
    _ensure_image(engine, image)
    containers = engine.containers
    container = containers.create(request)
    if not running:
        typer.echo(container.id)
        return
    try:
        containers.start(container.id, attach=not detach)
    except EngineError as exc:
        if rm:
            containers.remove(container.id, force=True, volumes=True)
        if not isinstance(exc, ContainerStartError):
            raise
        typer.echo(f"pycompose: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if detach:
        typer.echo(container.id)
        return
    code = containers.attach(
        container.id, stdin=interactive, tty=tty, detach_keys=detach_keys, proxy_signals=sig_proxy
    )
    if code is None:
        return
    if rm:
        _removed(containers, container.id)
    raise typer.Exit(code)


def _removed(containers: Any, container_id: str) -> None:
    """`--rm`: the monitor's exit command removes the container; wait for it (or do it)."""
    from runtime.containers.errors import ContainerNotFound

    try:
        containers.wait_for(container_id, lambda c: c is None, timeout=30)
    except TimeoutError:
        try:
            containers.remove(container_id, force=True, volumes=True)
        except ContainerNotFound:
            pass


app.command("run", context_settings=POSITIONAL, help="Create and start a container.")(run_or_create)
app.command("create", context_settings=POSITIONAL, help="Create a container, not started.")(
    run_or_create
)


@app.command("start", context_settings={"help_option_names": ["--help"]})
def start(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Containers.")],
    attach: Annotated[bool, typer.Option("--attach", "-a", help="Attach to the output.")] = False,
    interactive: Annotated[bool, typer.Option("--interactive", "-i", help="Attach stdin.")] = False,
) -> None:
    """Start one or more stopped containers."""
    containers = open_engine(ctx).containers
    if attach or interactive:
        container = containers.start(names[0], attach=True)
        code = containers.attach(container.id, stdin=interactive)
        raise typer.Exit(code or 0)

    def start_one(name: str) -> None:
        containers.start(name)
        typer.echo(name)

    each(names, start_one)


@app.command("exec", context_settings=POSITIONAL)
def exec_command(
    ctx: typer.Context,
    container: Annotated[str, typer.Argument(help="Container.")],
    command: Annotated[list[str], typer.Argument(help="Command and arguments.")],
    detach: Annotated[bool, typer.Option("--detach", "-d")] = False,
    interactive: Annotated[bool, typer.Option("--interactive", "-i")] = False,
    tty: Annotated[bool, typer.Option("--tty", "-t")] = False,
    user: Annotated[str | None, typer.Option("--user", "-u")] = None,
    workdir: Annotated[str | None, typer.Option("--workdir", "-w")] = None,
    env: Annotated[Many, typer.Option("--env", "-e")] = None,
    env_file: Annotated[Many, typer.Option("--env-file")] = None,
    privileged: Annotated[bool, typer.Option("--privileged")] = False,
) -> None:
    """Run a command in a running container; exits with the command's exit code."""
    from orchestrator.cli.container_options import parse_env
    from runtime.containers.model import ExecOptions

    if interactive and tty and not os.isatty(0):
        typer.echo("pycompose: the input device is not a TTY", err=True)
        raise typer.Exit(1)
    options = ExecOptions(
        args=tuple(command),
        user=user,
        workdir=workdir,
        env=parse_env(env or [], env_file or [], os.environ),
        tty=tty,
        interactive=interactive,
        detach=detach,
        privileged=privileged,
    )
    sys.stdout.flush()
    raise typer.Exit(open_engine(ctx).containers.exec(container, options))


def _register() -> None:
    from orchestrator.cli import container_admin, container_views

    container_views.register(app)
    container_admin.register(app)


_register()
