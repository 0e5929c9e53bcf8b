"""The Project: a whole app, loaded, merged, validated and normalised."""

from __future__ import annotations

from pydantic import Field

from specs.model.base import SpecModel
from specs.model.files import Config, Secret
from specs.model.networks import Network
from specs.model.service import Service
from specs.model.volumes import Volume


class Project(SpecModel):
    """A Compose application: what `pycompose config` prints, plus what the loader learnt.

    `services` holds the services enabled by the active profiles;
    `disabled_services` the others (the orchestrator may enable one a user names).
    """

    name: str
    """The project name (`-p`, COMPOSE_PROJECT_NAME, `name:` or the directory's name)."""
    services: dict[str, Service] = Field(default_factory=dict)
    networks: dict[str, Network] = Field(default_factory=dict)
    volumes: dict[str, Volume] = Field(default_factory=dict)
    configs: dict[str, Config] = Field(default_factory=dict)
    secrets: dict[str, Secret] = Field(default_factory=dict)

    working_dir: str = Field(default="", exclude=True)
    """The project directory: relative paths of the files were resolved against it."""
    compose_files: list[str] = Field(default_factory=list, exclude=True)
    """Absolute paths of the files loaded, in merge order."""
    disabled_services: dict[str, Service] = Field(default_factory=dict, exclude=True)
    """Services left out by the active profiles."""
    active_profiles: list[str] = Field(default_factory=list, exclude=True)
    environment: dict[str, str] = Field(default_factory=dict, exclude=True)
    """The variables the files were interpolated with (the process environment and .env);
    configs and secrets with an `environment` source read theirs from here."""
    warnings: list[str] = Field(default_factory=list, exclude=True)
    """Things worth telling the user that did not stop the load."""

    internal_fields = frozenset(
        {
            "extensions",
            "working_dir",
            "compose_files",
            "disabled_services",
            "active_profiles",
            "environment",
            "warnings",
        }
    )
    unsupported = frozenset({"models"})
    rewritten = frozenset({"version", "include"})
    always_dumped = frozenset({"name", "services"})

    def service(self, name: str) -> Service:
        """The enabled service `name` (KeyError when there is none)."""
        return self.services[name]

    def all_profiles(self) -> list[str]:
        """Every profile any service (enabled or not) names, sorted."""
        found = {
            profile
            for service in (*self.services.values(), *self.disabled_services.values())
            for profile in service.profiles
        }
        return sorted(found)

    def image_name(self, service: Service) -> str:
        """The image a service runs: its `image`, else `<project>-<service>` for a build."""
        return service.image or f"{self.name}-{service.name}"
