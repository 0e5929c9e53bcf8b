"""The images a project runs: which to pull or build before its containers, and the ids they have.

Rules, as Compose's: a service with `build:` is built when its image is
missing, with `--build`, or with `pull_policy: build`, never with
`--no-build`; other images are pulled when missing (`pull_policy: missing`,
the default), always (`always`, `--pull always`) or never (`never`, `--pull
never`; then a missing image is an error). `--pull` on the command line wins
over each service's policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.errors import OrchestratorError
from orchestrator.plan import Action, ActionKind
from specs.model import Project

if TYPE_CHECKING:
    from orchestrator.progress import Progress
    from runtime.engine import Engine


@dataclass(frozen=True)
class ImageOptions:
    """`--build` / `--no-build` and `--pull` of the command line."""

    build: bool | None = None
    """True: always build; False: never; None: when missing."""
    pull: str | None = None
    """`always`, `missing` or `never`; None: each service's `pull_policy`."""


def plan_images(
    project: Project,
    services: Iterable[str],
    present: Callable[[str], bool],
    options: ImageOptions | None = None,
) -> list[Action]:
    """Pull and build actions for the services (`present(reference)`: is the image in the store)."""
    options = options or ImageOptions()
    actions: list[Action] = []
    pulls: dict[str, list[str]] = {}
    for name in services:
        service = project.services[name]
        image = project.image_name(service)
        policy = options.pull or service.pull_policy or "missing"
        if service.build is not None and options.build is not False:
            if options.build or policy == "build" or not present(image):
                why = (
                    "--build"
                    if options.build
                    else (
                        "pull_policy: build" if policy == "build" else f"image {image} is missing"
                    )
                )
                actions.append(Action(ActionKind.BUILD, name, why, service=name))
            continue
        if policy == "always" or (policy in ("missing", "if_not_present") and not present(image)):
            pulls.setdefault(image, []).append(name)
        elif not present(image):
            hint = (
                "build it (drop --no-build)"
                if service.build is not None
                else f"pull it (`pycompose pull {name}`) or allow pulling"
            )
            raise OrchestratorError(f"service {name}: image {image} is not here: {hint}")
    for image, users in pulls.items():
        why = "--pull always" if options.pull == "always" else f"used by {', '.join(users)}"
        actions.append(Action(ActionKind.PULL, image, why))
    return actions


def image_ids(engine: Engine, project: Project, services: Iterable[str]) -> dict[str, str | None]:
    """Each service's image id in the store (None when absent)."""
    found: dict[str, str | None] = {}
    cache: dict[str, str | None] = {}
    for name in services:
        image = project.image_name(project.services[name])
        if image not in cache:
            cache[image] = engine.images.resolve(image)
        found[name] = cache[image]
    return found


def pull(engine: Engine, references: list[str], progress: Progress) -> None:
    """Pull images side by side, a progress line each."""
    from concurrent.futures import ThreadPoolExecutor

    from runtime.images.pull import pull_image

    def one(reference: str) -> None:
        progress.update("Image", reference, "Pulling")
        try:
            result = pull_image(engine.store, reference)
        except Exception as exc:
            progress.fail("Image", reference, "Error")
            raise OrchestratorError(f"cannot pull {reference}: {exc}") from exc
        progress.update(
            "Image", reference, "Pulled" if result.downloaded else "Up to date", done=True
        )

    with ThreadPoolExecutor(max_workers=max(1, min(4, len(references)))) as pool:
        for future in [pool.submit(one, reference) for reference in references]:
            future.result()


def build(engine: Engine, project: Project, services: list[str], progress: Progress) -> None:
    """Build the services' images through the compose-level builder (its output on stderr)."""
    import sys

    from orchestrator.building import BuildServicesOptions, build_services

    for name in services:
        progress.update("Service", name, "Building")
    try:
        build_services(project, engine, services, BuildServicesOptions(output=sys.stderr))
    except Exception:
        for name in services:
            progress.fail("Service", name, "Error")
        raise
    for name in services:
        progress.update("Service", name, "Built", done=True)


def ensure_images(
    engine: Engine, project: Project, actions: list[Action], progress: Progress
) -> None:
    """Carry out the pull and build actions of a plan."""
    pulls = [action.target for action in actions if action.kind is ActionKind.PULL]
    builds = [action.target for action in actions if action.kind is ActionKind.BUILD]
    if pulls:
        pull(engine, pulls, progress)
    if builds:
        build(engine, project, builds, progress)
