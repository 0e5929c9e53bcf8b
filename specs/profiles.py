"""Profiles: services that run only when one of their profiles is active.

Active profiles come from `--profile` (or the library's `profiles`), else from
COMPOSE_PROFILES (comma-separated, from the environment or `.env`); `*`
activates all. A service without profiles always runs. A dependency on a
disabled service is dropped when it is not `required`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from specs.model.project import Project


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
