"""`include`: other Compose projects whose services, networks, volumes, configs and secrets
become part of this one.

Each included project is loaded on its own: its relative paths against its
project directory (the directory of its first file unless `project_directory`
says otherwise), interpolated with this project's environment overlaid by its
`env_file` (by default the `.env` of its project directory). What this file
defines under the same name is merged over what the included project defines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from specs import nodes
from specs.discovery import display_name
from specs.dotenv import read_env_file
from specs.merge import merge
from specs.nodes import Node
from specs.suggestions import did_you_mean
from specs.textfiles import file_problem

# Real projects include a few levels; deeper chains are hostile (and would exhaust the stack).
MAX_INCLUDE_DEPTH = 32
ENTRY_KEYS = frozenset({"path", "env_file", "project_directory"})
SECTIONS = ("services", "networks", "volumes", "configs", "secrets")
# Loads files (absolute paths) as a project rooted at a directory with an environment.
ProjectReader = Callable[[list[str], str, dict[str, str]], Node]


def apply_includes(
    root: Node,
    environment: Mapping[str, str],
    read_project: ProjectReader,
    cwd: Path,
    chain: Sequence[str] = (),
) -> None:
    """Bring the resources of every `include` entry of `root` into it, in place;
    `chain` lists the files including this one, to refuse a cycle."""
    include = root.pop("include")
    if include is None:
        return
    if not include.is_sequence:
        raise nodes.error(
            include, ("include",), "expected a list of files or of mappings with 'path'"
        )
    for index, entry in enumerate(include.value):
        path: nodes.Path = ("include", index)
        if not entry.is_mapping:
            raise nodes.error(entry, path, "expected a file path or a mapping with 'path'")
        unknown = sorted(set(entry.value) - ENTRY_KEYS)
        if unknown:
            raise nodes.error(
                entry.key_location(unknown[0]),
                (*path, unknown[0]),
                f"unknown key '{unknown[0]}'{did_you_mean(unknown[0], sorted(ENTRY_KEYS))}",
            )
        files = _strings(entry.get("path"), (*path, "path"))
        if not files:
            raise nodes.error(entry, path, "'path' is required: the file(s) to include")
        first = entry.get("path")
        assert first is not None
        for file in files:
            problem = file_problem(file)
            if problem is not None:
                raise nodes.error(first, (*path, "path"), f"{display_name(file, cwd)}: {problem}")
            # The same file reached through a symlink or `..` is the same file.
            seen = [os.path.realpath(step) for step in chain]
            if os.path.realpath(file) in seen:
                start = seen.index(os.path.realpath(file))
                names = " -> ".join(display_name(step, cwd) for step in [*chain[start:], file])
                raise nodes.error(first, (*path, "path"), f"include cycle: {names}")
            if len(chain) >= MAX_INCLUDE_DEPTH:
                raise nodes.error(
                    first,
                    (*path, "path"),
                    f"includes nest more than {MAX_INCLUDE_DEPTH} files deep",
                )
        directory_node = entry.get("project_directory")
        directory = (
            directory_node.value if directory_node is not None else os.path.dirname(files[0])
        )
        env_files = _strings(entry.get("env_file"), (*path, "env_file"))
        if not env_files and (Path(directory) / ".env").is_file():
            env_files = [str(Path(directory) / ".env")]
        values: dict[str, str] = dict(environment)
        for env_file in env_files:
            values.update(read_env_file(Path(env_file), display_name(env_file, cwd), values))
        imported = read_project(files, directory, values)
        _import(root, imported)


def _strings(node: Node | None, path: nodes.Path) -> list[str]:
    if node is None:
        return []
    if not node.is_sequence or not all(isinstance(item.value, str) for item in node.value):
        raise nodes.error(node, path, "expected a path or a list of paths")
    return [item.value for item in node.value]


def _import(root: Node, imported: Node) -> None:
    for section in SECTIONS:
        incoming = imported.get(section)
        if incoming is None or not incoming.is_mapping:
            continue
        local = root.get(section)
        if local is None:
            root.set(section, incoming)
            continue
        for name, definition in incoming.items():
            mine = local.get(name)
            merged = definition if mine is None else merge(definition, mine, (section, name))
            local.set(
                name,
                merged,
                local.key_location(name) if mine is not None else incoming.key_location(name),
            )
