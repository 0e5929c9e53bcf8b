"""`extends`: a service starts from another one, in the same file or in another file.

The base service is merged under the extending one with the same rules as
files (see `specs.merge`), after its own `extends` is applied. A service of
another file has its paths resolved against that file's directory. Cycles are
errors that print the chain.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from specs import nodes
from specs.merge import merge
from specs.nodes import Node
from specs.suggestions import did_you_mean

# Real services extend a few levels; longer chains are hostile (and would exhaust the stack).
MAX_EXTENDS_DEPTH = 64
# Reads another file (absolute path) into a prepared tree; raises SpecError.
FileReader = Callable[[str, Node, nodes.Path], Node]


class Extender:
    """Resolves `extends` for the services of one or more files, memoising each result."""

    def __init__(self, read_file: FileReader):
        self.read_file = read_file
        self.trees: dict[str, Node] = {}
        self.done: set[tuple[str, str]] = set()

    def apply(self, file: str, root: Node) -> None:
        """Resolve `extends` for every service of `root`, the tree of `file`, in place."""
        self.trees[file] = root
        services = root.get("services")
        for name, _ in services.items() if services is not None and services.is_mapping else ():
            self._service(file, name, [])

    def _service(self, file: str, name: str, chain: list[tuple[str, str]]) -> Node:
        services = self.trees[file].get("services")
        assert services is not None
        service = services.value[name]
        extends = service.get("extends") if service.is_mapping else None
        if extends is None or (file, name) in self.done:
            return service
        path: nodes.Path = ("services", name, "extends")
        if (file, name) in chain:
            names = " -> ".join(
                step for _, step in [*chain[chain.index((file, name)) :], (file, name)]
            )
            raise nodes.error(extends, path, f"extends cycle: {names}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise nodes.error(
                extends, path, f"extends chains more than {MAX_EXTENDS_DEPTH} services deep"
            )
        if not extends.is_mapping:
            raise nodes.error(extends, path, "expected a service name or a mapping with 'service'")
        reference = extends.get("service")
        if reference is None or not isinstance(reference.value, str):
            raise nodes.error(extends, path, "'service' is required: the service to extend")
        unknown = set(extends.value) - {"service", "file"}
        if unknown:
            key = sorted(unknown)[0]
            raise nodes.error(
                extends.key_location(key),
                (*path, key),
                f"unknown key '{key}' (expected 'service' or 'file')",
            )
        base_file = file
        other = extends.get("file")
        if other is not None:
            if not isinstance(other.value, str):
                raise nodes.error(other, (*path, "file"), "expected a file path")
            base_file = other.value
            if base_file not in self.trees:
                self.trees[base_file] = self.read_file(base_file, other, (*path, "file"))
        base_services = self.trees[base_file].get("services")
        if base_services is None or reference.value not in base_services.value:
            known = list(base_services.value) if base_services is not None else []
            where = "" if base_file == file else f" in {os.path.basename(base_file)}"
            raise nodes.error(
                reference,
                (*path, "service"),
                f"there is no service '{reference.value}' to extend{where}"
                + did_you_mean(reference.value, known),
            )
        base = self._service(base_file, reference.value, [*chain, (file, name)])
        local = nodes.Node(
            dict(service.value), service.location, service.tag, dict(service.keys or {})
        )
        local.pop("extends")
        merged = merge(base, local, ("services", name))
        services.set(name, merged)
        self.done.add((file, name))
        return merged
