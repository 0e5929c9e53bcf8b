"""The app language: Compose files (and the legacy `net:` key) become a validated Project.

    import specs
    project = specs.load(["app.yaml"], profiles=["debug"])
    for name, service in project.services.items():
        print(name, service.image, service.config_hash())

Nothing in this package touches the host beyond reading files; it imports
neither `orchestrator` nor `runtime`. Names load on first use, so a command
that only needs the project's name (`pycompose ps`) does not pay for the
models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specs.errors import Location, SpecError
    from specs.loader import load
    from specs.model import Project, Service

_EXPORTS = {
    "Location": "specs.errors",
    "SpecError": "specs.errors",
    "load": "specs.loader",
    "Project": "specs.model",
    "Service": "specs.model",
}
__all__ = ["Location", "Project", "Service", "SpecError", "load"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'specs' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
