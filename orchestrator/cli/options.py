"""Options shared by every command: the engine root, debug output and the project selection."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GlobalOptions:
    """What the top-level options said; sub-commands read it from the typer context."""

    debug: bool = False
    root: str | None = None
    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    profiles: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    project_directory: str | None = None
