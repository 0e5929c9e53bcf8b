"""The environment a project is interpolated with, and each service's container environment.

The project environment is the `.env` file of the project directory (or the
`--env-file` files instead), overridden by the process environment. A
service's container environment is its `env_file` files, in order, overlaid
with its `environment`; an entry without a value takes it from the project
environment, or is dropped when that has none. Build arguments without a
value are resolved the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from specs import nodes
from specs.discovery import display_name
from specs.dotenv import read_env_file
from specs.errors import SpecError
from specs.nodes import Node


def project_environment(
    process: Mapping[str, str],
    project_directory: Path,
    env_files: Sequence[str | os.PathLike[str]] | None,
    cwd: Path,
) -> dict[str, str]:
    """Process environment over `.env` (or over the given env files, in order)."""
    if env_files:
        paths = [cwd / Path(os.fspath(path)) for path in env_files]
    else:
        default = project_directory / ".env"
        paths = [default] if default.is_file() else []
    values: dict[str, str] = {}
    for path in paths:
        values.update(read_env_file(path, display_name(path, cwd), {**values, **process}))
    values.update(process)
    return values


def resolve_service_environments(root: Node, environment: Mapping[str, str], cwd: Path) -> None:
    """Read every service's env files into its `environment`, and resolve bare variables."""
    services = root.get("services")
    for name, service in services.items() if services is not None else ():
        if not service.is_mapping:
            continue
        path: nodes.Path = ("services", name)
        _resolve_service(service, path, environment, cwd)
        build = service.get("build")
        args = build.get("args") if build is not None else None
        if args is not None and args.is_mapping:
            _resolve_bare(args, environment)


def _resolve_service(
    service: Node, path: nodes.Path, environment: Mapping[str, str], cwd: Path
) -> None:
    declared = service.get("environment")
    if declared is not None and not declared.is_mapping:
        return
    merged = Node({}, (declared or service).location, "", {})
    env_files = service.get("env_file")
    if env_files is not None and env_files.is_sequence:
        for index, entry in enumerate(env_files.value):
            for key, child in _read_entry(entry, (*path, "env_file", index), environment, cwd):
                merged.set(key, child, child.location)
    if declared is not None:
        for key, child in declared.items():
            merged.set(key, child, declared.key_location(key))
    if merged.value or declared is not None:
        _resolve_bare(merged, environment)
        service.set("environment", merged, service.key_location("environment"))


def _read_entry(
    entry: Node, path: nodes.Path, environment: Mapping[str, str], cwd: Path
) -> list[tuple[str, Node]]:
    file = entry.get("path")
    if not entry.is_mapping or file is None or not isinstance(file.value, str):
        return []
    required = entry.get("required")
    is_required = required is None or nodes.text_of(required).lower() in ("true", "1", "yes")
    format_node = entry.get("format")
    raw = format_node is not None and format_node.value == "raw"
    location = Path(file.value)
    if not is_required and not location.exists():
        return []
    try:
        values = read_env_file(location, display_name(location, cwd), environment, raw=raw)
    except SpecError as exc:
        if exc.location is None:
            raise nodes.error(file, path, exc.message) from None
        raise
    return [(key, Node(value, file.location)) for key, value in values.items()]


def _resolve_bare(mapping: Node, environment: Mapping[str, str]) -> None:
    for key, child in mapping.items():
        if child.value is None:
            if key in environment:
                child.value = environment[key]
            else:
                mapping.pop(key)
