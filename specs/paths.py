"""Relative host paths in a file's tree made absolute, against the directory they belong to.

Paths of the project's own files are relative to the project directory;
those of a file brought in by `extends: {file: ...}` to that file's directory,
and those of an included project to its project directory. `~` is the home
directory. Remote build contexts (git, https) are left alone.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping

from specs.nodes import Node

_REMOTE_PREFIXES = ("http://", "https://", "git://", "ssh://", "github.com/", "git@")


def is_remote(context: str) -> bool:
    """A build context that is a URL or a git reference rather than a directory."""
    return "://" in context or context.startswith(_REMOTE_PREFIXES)


def absolute(path: str, base_dir: str, environment: Mapping[str, str]) -> str:
    """`path` made absolute: `~` is the home directory, relative is against `base_dir`."""
    if path == "~" or path.startswith("~/"):
        home = environment.get("HOME") or os.path.expanduser("~")
        path = home + path[1:]
    elif path.startswith("~"):
        path = os.path.expanduser(path)
    return posixpath.normpath(posixpath.join(base_dir, path))


def resolve_paths(root: Node, base_dir: str, environment: Mapping[str, str]) -> None:
    """Make the relative host paths of one canonical file tree absolute, in place."""

    def fix(node: Node | None) -> None:
        if node is not None and isinstance(node.value, str) and node.value:
            node.value = absolute(node.value, base_dir, environment)

    services = root.get("services")
    for _, service in services.items() if services is not None else ():
        build = service.get("build")
        context = build.get("context") if build is not None else None
        if context is not None and isinstance(context.value, str) and not is_remote(context.value):
            fix(context)
        extends = service.get("extends")
        if extends is not None:
            fix(extends.get("file"))
        for key in ("env_file", "volumes"):
            entries = service.get(key)
            for _, entry in entries.children() if entries is not None else ():
                kind = entry.get("type")
                if key == "env_file":
                    fix(entry.get("path"))
                elif kind is not None and kind.value == "bind":
                    fix(entry.get("source"))
    for section in ("configs", "secrets"):
        resources = root.get(section)
        for _, resource in resources.items() if resources is not None else ():
            fix(resource.get("file"))
    volumes = root.get("volumes")
    for _, volume in volumes.items() if volumes is not None else ():
        options = volume.get("driver_opts")
        bind = options.get("o") if options is not None else None
        if bind is not None and "bind" in str(bind.value).split(","):
            fix(options.get("device") if options is not None else None)
    include = root.get("include")
    for _, entry in include.children() if include is not None else ():
        for key in ("path", "env_file"):
            values = entry.get(key)
            for _, value in values.children() if values is not None else ():
                fix(value)
        fix(entry.get("project_directory"))
