"""What every compose verb shares: the project options after the verb, the engine, the project.

A verb is written as a function of a `ComposeCommand` and its own options,
decorated with `@project_command`; the decorator adds `-f`, `-p`,
`--profile`, `--env-file` and `--project-directory` to its command line, so
each verb accepts them after its name as Compose does:

    @project_command
    def ps(command: ComposeCommand, all: Annotated[bool, typer.Option("--all", "-a")] = False):
        for container in command.containers(): ...

`command.project()` loads and validates the whole file; verbs that only need
to find the project's containers use `command.project_name()`, which reads no
more than the project's name (much cheaper: `ps` stays quick).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestrator.cli.options import GlobalOptions
from orchestrator.cli.project import (
    EnvFileOption,
    FileOption,
    ProfileOption,
    ProjectDirectoryOption,
    ProjectNameOption,
    ProjectOptions,
    load_project,
    load_project_name,
    project_options,
)

if TYPE_CHECKING:
    from orchestrator.progress import Progress
    from runtime.containers.model import Container
    from runtime.engine import Engine
    from specs.model import Project

_PROJECT_PARAMETERS = (
    ("file", FileOption),
    ("project_name", ProjectNameOption),
    ("profile", ProfileOption),
    ("env_file", EnvFileOption),
    ("project_directory", ProjectDirectoryOption),
)


@dataclass
class ComposeCommand:
    """One run of a compose verb: its options, and the engine and project, opened on demand."""

    ctx: typer.Context
    options: ProjectOptions
    _engine: Engine | None = None
    _project: Project | None = None
    _name: str | None = None

    @property
    def root(self) -> str | None:
        found = self.ctx.find_object(GlobalOptions)
        return found.root if found else None

    def engine(self) -> Engine:
        """The engine of the chosen root."""
        if self._engine is None:
            from runtime.engine import Engine

            self._engine = Engine.open(self.root)
        return self._engine

    def project(self, services: Sequence[str] = ()) -> Project:
        """The whole project, loaded and validated; services named on the command line are
        enabled even when their profiles are not active."""
        if self._project is None:
            project = load_project(self.options)
            if services:
                from specs.profiles import enable_services

                project = enable_services(project, list(services))
            self._project = project
            self._name = project.name
        return self._project

    def project_name(self) -> str:
        """The project's name (from -p, COMPOSE_PROJECT_NAME, the file's `name:` or directory)."""
        if self._name is None:
            self._name = load_project_name(self.options)
        return self._name

    def containers(
        self, services: Sequence[str] = (), *, all: bool = True, oneoff: bool = False
    ) -> list[Container]:
        """The project's containers (of the named services), in service and replica order;
        the one-off containers of `run` only with `oneoff`."""
        from orchestrator.logstream import containers_of

        found = containers_of(self.engine(), self.project_name(), services, all=all)
        if not oneoff:
            found = [c for c in found if c.labels.get("com.docker.compose.oneoff") != "True"]
        return found

    def progress(self, title: str = "Running") -> Progress:
        from orchestrator.progress import progress_for

        return progress_for(sys.stderr, title=title)


def _option_names(annotation: Any) -> set[str]:
    return {
        name
        for meta in getattr(annotation, "__metadata__", ())
        for name in getattr(meta, "param_decls", ()) or ()
    }


def _without_names(annotation: Any, taken: set[str]) -> Any:
    """The project option `annotation` without the option names the verb uses itself
    (`logs -f` is --follow, `run -p` is --publish: there only the long forms remain)."""
    names = _option_names(annotation)
    if not names & taken:
        return annotation
    info = annotation.__metadata__[0]
    kept = [name for name in info.param_decls if name not in taken]
    return Annotated[annotation.__origin__, typer.Option(*kept, help=info.help)]


def project_command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make `function(command, ...)` a typer command with the project options added."""
    hints = typing.get_type_hints(function, include_extras=True)
    signature = inspect.signature(function)
    own = list(signature.parameters.values())[1:]
    taken = set().union(*(_option_names(hints.get(p.name)) for p in own))
    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        *(parameter.replace(annotation=hints.get(parameter.name)) for parameter in own),
        *(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=_without_names(kind, taken),
            )
            for name, kind in _PROJECT_PARAMETERS
        ),
    ]

    @functools.wraps(function)
    def command(ctx: typer.Context, *args: Any, **kwargs: Any) -> Any:
        given = [kwargs.pop(name) for name, _ in _PROJECT_PARAMETERS]
        return function(ComposeCommand(ctx, project_options(ctx, *given)), *args, **kwargs)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


def parallel_limit(given: int | None) -> int:
    """`--parallel`, else COMPOSE_PARALLEL_LIMIT, else the default; -1 means no limit."""
    from orchestrator.converge import DEFAULT_PARALLEL

    value = given
    if value is None:
        text = os.environ.get("COMPOSE_PARALLEL_LIMIT")
        value = int(text) if text and text.strip().lstrip("-").isdigit() else DEFAULT_PARALLEL
    return 1024 if value < 0 else max(1, value)
