"""Building the images of a project's services: each `build:` section as a build request.

    results = build_services(project, store_or_engine, ["web"], BuildServicesOptions())

The image is named `Project.image_name(service)` (the service's `image`, else
`<project>-<service>`) plus the section's `tags`; every key the spec models is
honoured: context, dockerfile / dockerfile_inline, args (command-line
`--build-arg`s win), target, labels, network, tags, no_cache, pull. `up
--build` and `pycompose build` both come through here.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from runtime.build.request import BuildRequest, BuildResult
    from runtime.store import Store
    from specs.model import Project, Service

REMOTE_PREFIXES = ("http://", "https://", "git://", "git@", "ssh://", "github.com/")


@dataclass(frozen=True)
class BuildServicesOptions:
    """Command-line choices that apply to every service built."""

    no_cache: bool = False
    pull: bool = False
    quiet: bool = False
    build_args: Mapping[str, str] = field(default_factory=dict)
    output: TextIO | None = None


def _store_of(engine_or_store: Any) -> Store:
    """The store of an Engine facade (or the store itself)."""
    from runtime.store import Store

    if isinstance(engine_or_store, Store):
        return engine_or_store
    for candidate in (
        getattr(engine_or_store, "store", None),
        getattr(getattr(engine_or_store, "images", None), "store", None),
    ):
        if isinstance(candidate, Store):
            return candidate
    raise TypeError(f"expected a Store or an Engine, got {type(engine_or_store).__name__}")


def services_to_build(project: Project, names: Sequence[str] = ()) -> list[Service]:
    """The services named (all when none) that have a `build:` section, in file order."""
    from specs.errors import SpecError
    from specs.profiles import enable_services

    if names:
        project = enable_services(project, list(names))
        unknown = [name for name in names if name not in project.services]
        if unknown:
            raise SpecError(f"no such service: {unknown[0]}")
        chosen = [project.services[name] for name in dict.fromkeys(names)]
    else:
        chosen = list(project.services.values())
    return [service for service in chosen if service.build is not None]


def build_request(
    project: Project, service: Service, options: BuildServicesOptions
) -> BuildRequest:
    """The build request of one service's `build:` section."""
    from runtime.build import BuildError
    from runtime.build.request import BuildRequest

    build = service.build
    if build is None:
        raise BuildError(f"service {service.name} has no build section")
    if build.context.startswith(REMOTE_PREFIXES):
        raise BuildError(
            f"service {service.name}: remote build contexts ({build.context}) are not supported; "
            "clone it and point `context` at the directory"
        )
    tags = tuple(dict.fromkeys([project.image_name(service), *build.tags]))
    return BuildRequest(
        context=Path(build.context),
        dockerfile=Path(build.dockerfile)
        if build.dockerfile_inline is None and build.dockerfile
        else None,
        dockerfile_inline=build.dockerfile_inline,
        tags=tags,
        build_args={**build.args, **options.build_args},
        target=build.target or "",
        labels=dict(build.labels),
        network=build.network or "default",
        no_cache=options.no_cache or build.no_cache,
        pull=options.pull or build.pull,
    )


def build_services(
    project: Project,
    engine_or_store: Any,
    service_names: Sequence[str] = (),
    options: BuildServicesOptions | None = None,
) -> dict[str, BuildResult]:
    """Build the images of the named services (all with `build:` when none); results by name.

    Raises BuildError (one line, naming the service) at the first failure;
    images already built stay, nothing of the failing one is tagged.
    """
    from runtime.build import BuildError
    from runtime.build.executor import build_image
    from runtime.build.progress import BuildProgress, PlainProgress, QuietProgress

    options = options or BuildServicesOptions()
    store = _store_of(engine_or_store)
    output = options.output or sys.stdout
    results: dict[str, BuildResult] = {}
    for service in services_to_build(project, service_names):
        request = build_request(project, service, options)
        progress: BuildProgress = QuietProgress() if options.quiet else PlainProgress(output)
        if not options.quiet:
            output.write(f"Building {service.name}\n")
        try:
            results[service.name] = build_image(store, request, progress)
        except BuildError as error:
            error.args = (f"service {service.name}: {error}",)
            raise
        if not options.quiet:
            output.write(f"Built {service.name}: {request.tags[0]}\n")
            output.flush()
    return results
