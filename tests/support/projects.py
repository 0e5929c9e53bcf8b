"""Projects for tests: a Compose file written to a directory and loaded, or a model made in code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import specs
from specs.model import Project, Service


def load_text(directory: Path, text: str, env: dict[str, str] | None = None) -> Project:
    """Write `text` as `compose.yaml` in `directory` and load it (project name: `app`)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compose.yaml"
    path.write_text(textwrap.dedent(text))
    return specs.load([path], env=env or {}, project_name="app")


def project_of(services: dict[str, dict[str, object]], name: str = "app") -> Project:
    """A Project built in code, without the loader (so without its checks and implications)."""
    return Project(
        name=name,
        services={
            key: Service.model_validate({**value, "name": key}) for key, value in services.items()
        },
    )
