"""Which Compose files to load: the `-f` files, COMPOSE_FILE, or the usual names found by looking.

Without `-f`, the first of `compose.yaml`, `compose.yml`, `docker-compose.yml`,
`docker-compose.yaml` and `app.yaml` found in the directory or its parents is
loaded, with the `.override` file next to it (`compose.override.yaml`...) when
there is one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from specs.errors import SpecError

CANDIDATES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "app.yaml",
)


@dataclass
class Discovery:
    """The files to load, in merge order, and what is worth a warning."""

    files: list[Path]
    warnings: list[str] = field(default_factory=list)


def find_files(
    paths: Sequence[str | os.PathLike[str]],
    environment: Mapping[str, str],
    cwd: Path,
    project_directory: Path | None = None,
) -> Discovery:
    """The Compose files named by `paths`, or by COMPOSE_FILE, or found in the directory."""
    if paths:
        return Discovery([_absolute(Path(os.fspath(path)), cwd) for path in paths])
    listed = environment.get("COMPOSE_FILE")
    if listed:
        separator = environment.get("COMPOSE_PATH_SEPARATOR", os.pathsep)
        names = [name for name in listed.split(separator) if name]
        return Discovery([_absolute(Path(name), cwd) for name in names])
    start = project_directory or cwd
    for directory in (start, *start.parents):
        found = [directory / name for name in CANDIDATES if (directory / name).is_file()]
        if found:
            discovery = Discovery([found[0]])
            if len(found) > 1:
                listed = ", ".join(path.name for path in found)
                discovery.warnings.append(
                    f"found several Compose files in {directory} ({listed}); using {found[0].name}"
                )
            override = _override_of(found[0])
            if override is not None:
                discovery.files.append(override)
            return discovery
    looked = ", ".join(CANDIDATES)
    raise SpecError(f"no Compose file found in {start} or its parents (looked for {looked})")


def _override_of(path: Path) -> Path | None:
    stem = path.name.rsplit(".", 1)[0]
    for suffix in (".yaml", ".yml"):
        candidate = path.with_name(f"{stem}.override{suffix}")
        if candidate.is_file():
            return candidate
    return None


def _absolute(path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(cwd / path))


def display_name(path: Path | str, cwd: Path) -> str:
    """How errors name a file: relative to the current directory when under it."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text, cwd)
    except ValueError:
        return text
    return text if relative.startswith("..") else relative
