"""Profiles: services that run only when one of their profiles is active.

Active profiles come from `--profile` (or the library's `profiles`), else from
COMPOSE_PROFILES (comma-separated, from the environment or `.env`); `*`
activates all. A service without profiles always runs. A dependency on a
disabled service is dropped when it is not `required`. A service named on the
command line runs whatever its profiles (`enable_services`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from specs.errors import SpecError
from specs.model.project import Project
from specs.suggestions import did_you_mean


def active_profiles(requested: Sequence[str] | None, environment: Mapping[str, str]) -> list[str]:
    """The active profiles: those requested, else COMPOSE_PROFILES."""
    names = list(requested or []) or [environment.get("COMPOSE_PROFILES", "")]
    active: list[str] = []
    for entry in names:
        for name in entry.split(","):
            name = name.strip()
            if name and name not in active:
                active.append(name)
    return active


def apply_profiles(project: Project, active: Sequence[str]) -> Project:
    """Split the services into enabled and disabled ones by the active profiles."""
    everything = "*" in active
    enabled = {}
    disabled = {}
    for name, service in project.services.items():
        if not service.profiles or everything or set(service.profiles) & set(active):
            enabled[name] = service
        else:
            disabled[name] = service
    for name, service in enabled.items():
        optional = [
            dependency
            for dependency, condition in service.depends_on.items()
            if dependency in disabled and not condition.required
        ]
        if optional:
            kept = {key: value for key, value in service.depends_on.items() if key not in optional}
            enabled[name] = service.model_copy(update={"depends_on": kept})
    return project.model_copy(
        update={"services": enabled, "disabled_services": disabled, "active_profiles": list(active)}
    )


def enable_services(project: Project, names: Sequence[str]) -> Project:
    """The project with the named disabled services enabled, as when a user names a
    service on the command line (`up debug`) whatever its profiles. A service it needs
    that is still disabled is an error."""
    unknown = [
        name
        for name in names
        if name not in project.services and name not in project.disabled_services
    ]
    if unknown:
        raise SpecError(
            f"no such service: {unknown[0]}{did_you_mean(unknown[0], project.services)}"
        )
    chosen = [name for name in names if name in project.disabled_services]
    if not chosen:
        return project
    services = dict(project.services)
    disabled = dict(project.disabled_services)
    for name in chosen:
        services[name] = disabled.pop(name)
    for name in chosen:
        for dependency, condition in services[name].depends_on.items():
            if dependency in disabled and condition.required:
                profiles = ", ".join(disabled[dependency].profiles)
                raise SpecError(
                    f"service '{name}' depends on '{dependency}', which is not enabled "
                    f"(name it too, or activate one of its profiles: {profiles})"
                )
    return project.model_copy(update={"services": services, "disabled_services": disabled})
