"""The app language: Compose files (and the legacy `net:` key) become a validated Project.

    import specs
    project = specs.load(["app.yaml"], profiles=["debug"])
    for name, service in project.services.items():
        print(name, service.image, service.config_hash())

Nothing in this package touches the host beyond reading files; it imports
neither `orchestrator` nor `runtime`.
"""

from specs.errors import Location, SpecError
from specs.loader import load
from specs.model import Project, Service

__all__ = ["Location", "Project", "Service", "SpecError", "load"]
