"""Running a project on Kubernetes: `pycompose kube up` / `kube down`, and the functions
that `up --context kubernetes` / `down --context kubernetes` hand over to.

    options = command.options  # a ComposeCommand's project options (-f, -p, --profile, ...)
    deploy(options, ClusterOptions(kubeconfig, context, namespace), allow_hostpath=False)
    undeploy(options, ClusterOptions(...), volumes=False)

The conversion is the one `pycompose convert --to kubernetes` prints
(`converted()` is shared by both), so what is applied is exactly what
`convert` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import click
import typer

from orchestrator.cli.compose_command import ComposeCommand, project_command
from orchestrator.cli.project import (
    ProjectOptions,
    load_project,
)

if TYPE_CHECKING:
    from orchestrator.kubernetes import Conversion

app = typer.Typer(no_args_is_help=True)

KubeconfigOption = Annotated[
    str | None,
    typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."),
]
KubeContextOption = Annotated[
    str | None,
    typer.Option("--kube-context", help="Kubeconfig context (default: the current one)."),
]
NamespaceOption = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Namespace (default: the context's, else default)."),
]
AllowHostpathOption = Annotated[
    bool,
    typer.Option("--allow-hostpath", help="Mount bind-mount sources from the node (hostPath)."),
]


@dataclass(frozen=True)
class ClusterOptions:
    """Which cluster and namespace: the kubeconfig, its context, the namespace."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None


def converted(options: ProjectOptions, *, allow_hostpath: bool = False) -> Conversion:
    """Load the project and convert it, telling the user its warnings and what to push."""
    from orchestrator.kubernetes import ConversionOptions, convert

    project = load_project(options)
    conversion = convert(project, ConversionOptions(allow_hostpath=allow_hostpath))
    for message in conversion.warnings:
        click.echo(f"pycompose: warning: {message}", err=True)
    if conversion.images_to_push:
        images = ", ".join(conversion.images_to_push)
        click.echo(
            f"pycompose: the project builds {images}: push before the cluster can run them "
            "(pycompose push)",
            err=True,
        )
    return conversion


def deploy(
    options: ProjectOptions,
    cluster: ClusterOptions,
    *,
    allow_hostpath: bool = False,
    remove_orphans: bool = False,
) -> None:
    """Convert the project and apply it to the cluster (what `up --context kubernetes` does)."""
    from orchestrator.kubernetes.apply import apply, connect

    target = connect(cluster.kubeconfig, cluster.context, cluster.namespace)
    conversion = converted(options, allow_hostpath=allow_hostpath)
    apply(target, conversion, prune=remove_orphans, progress=_say)


def undeploy(options: ProjectOptions, cluster: ClusterOptions, *, volumes: bool = False) -> None:
    """Remove the project's objects from the cluster (what `down --context kubernetes` does)."""
    from orchestrator.kubernetes.apply import connect, remove

    target = connect(cluster.kubeconfig, cluster.context, cluster.namespace)
    project = load_project(options, warn=False)
    if not remove(target, project.name, volumes=volumes, progress=_say):
        _say(f"nothing of project {project.name} in namespace {target.namespace}")


def _say(line: str) -> None:
    click.echo(line)


@app.command("up")
@project_command
def up(
    command: ComposeCommand,
    kubeconfig: KubeconfigOption = None,
    kube_context: KubeContextOption = None,
    namespace: NamespaceOption = None,
    allow_hostpath: AllowHostpathOption = False,
    remove_orphans: Annotated[
        bool,
        typer.Option("--remove-orphans", help="Delete the project's objects no longer in it."),
    ] = False,
) -> None:
    """Apply the project to a Kubernetes cluster (server-side apply)."""
    deploy(
        command.options,
        ClusterOptions(kubeconfig, kube_context, namespace),
        allow_hostpath=allow_hostpath,
        remove_orphans=remove_orphans,
    )


@app.command("down")
@project_command
def down(
    command: ComposeCommand,
    kubeconfig: KubeconfigOption = None,
    kube_context: KubeContextOption = None,
    namespace: NamespaceOption = None,
    volumes: Annotated[
        bool, typer.Option("--volumes", "-v", help="Delete the volume claims too.")
    ] = False,
) -> None:
    """Remove the project's objects from a Kubernetes cluster."""
    undeploy(
        command.options,
        ClusterOptions(kubeconfig, kube_context, namespace),
        volumes=volumes,
    )
