"""Short syntax to long syntax, on one file's tree, before files are merged.

Merging needs the long forms (volumes merge by target, ports by their whole
mapping), so each file is made canonical first: `8080:80` becomes a port
mapping, `./data:/data` a bind mount, `KEY=value` lists mappings, `build: .`
`{context: .}`, a command string a list of words, and so on. Values of the
wrong shape are left as they are for validation to report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specs import nodes
from specs.nodes import Node, Path
from specs.syntax.commands import split_command
from specs.syntax.mappings import split_assignment, split_host_entry
from specs.syntax.mounts import parse_device, parse_volume
from specs.syntax.ports import parse_expose, parse_port

Transform = Callable[[Node, Path], Node]
SECRETS_DIR = "/run/secrets"
_TRUE = ("true", "yes", "1", "on")


def canonicalise(root: Node) -> None:
    """Rewrite the short syntaxes of one file's tree into long syntax, in place."""
    services = root.get("services")
    if services is not None and services.is_mapping:
        for name, service in services.items():
            if service.is_mapping:
                _apply(service, ("services", name), SERVICE_TRANSFORMS)
    for section in ("networks", "volumes", "configs", "secrets"):
        resources = root.get(section)
        if resources is not None and resources.is_mapping:
            for name, resource in resources.items():
                path: Path = (section, name)
                if resource.value is None:
                    resources.set(name, nodes.mapping(resource.location, tag=resource.tag))
                elif resource.is_mapping:
                    _resource(resource, path)
    include = root.get("include")
    if include is not None and include.is_sequence:
        include.value = [_include_entry(item) for item in include.value]


def _apply(node: Node, path: Path, transforms: dict[str, Transform]) -> None:
    for key, child in node.items():
        transform = transforms.get(key)
        if transform is not None:
            replaced = transform(child, (*path, key))
            replaced.tag = child.tag
            node.set(key, replaced)


def _fail(node: Node, path: Path, exc: ValueError) -> Exception:
    return nodes.error(node, path, str(exc))


def _parsed_strings(
    node: Node, path: Path, parse: Callable[[str], Any], expected: str
) -> list[tuple[Node, Any]]:
    """Each item of a sequence with what `parse` makes of it; other items are errors."""
    results = []
    for index, item in enumerate(node.value):
        if not isinstance(item.value, str):
            raise nodes.error(item, (*path, index), f"expected {expected}")
        try:
            results.append((item, parse(item.value)))
        except ValueError as exc:
            raise _fail(item, (*path, index), exc) from None
    return results


def _string_map(bare: str | None) -> Transform:
    """A list of `KEY=VALUE` or a mapping -> a mapping of strings; a bare key gets `bare`."""

    def transform(node: Node, path: Path) -> Node:
        entries: dict[str, Node] = {}
        keys: dict[str, Any] = {}
        if node.is_sequence:
            pairs = _parsed_strings(node, path, split_assignment, "a KEY=VALUE string")
            for item, (key, value) in pairs:
                entries[key] = Node(bare if value is None else value, item.location)
                keys[key] = item.location
        elif node.is_mapping:
            for key, child in node.items():
                value = child.value
                if child.is_scalar:
                    value = bare if value is None else nodes.text_of(child)
                    child = Node(value, child.location, child.tag)
                entries[key] = child
                keys[key] = node.key_location(key)
        else:
            return node
        return Node(entries, node.location, "", keys)

    return transform


def _string_list(node: Node, path: Path) -> Node:
    if isinstance(node.value, str):
        return nodes.sequence(node.location, [Node(node.value, node.location)])
    return node


def _command(node: Node, path: Path) -> Node:
    if not isinstance(node.value, str):
        return node
    try:
        words = split_command(node.value)
    except ValueError as exc:
        raise _fail(node, path, exc) from None
    return nodes.sequence(node.location, [Node(word, node.location) for word in words])


def _each(transform: Callable[[Node, Path], list[Node]]) -> Transform:
    """Apply `transform` to every item of a sequence; an item may become several."""

    def apply(node: Node, path: Path) -> Node:
        if not node.is_sequence:
            return node
        items: list[Node] = []
        for index, item in enumerate(node.value):
            items.extend(transform(item, (*path, index)))
        return Node(items, node.location)

    return apply


def _parsed(parse: Callable[[Any], Any], accepts: tuple[type, ...] = (str,)) -> Callable:
    """Items written in short syntax are parsed by `parse`; long-syntax items stay."""

    def transform(item: Node, path: Path) -> list[Node]:
        if isinstance(item.value, bool) or not isinstance(item.value, accepts):
            return [item]
        try:
            parsed = parse(item.value)
        except ValueError as exc:
            raise _fail(item, path, exc) from None
        if isinstance(parsed, list):
            return [nodes.build(entry, item.location) for entry in parsed]
        return [nodes.build(parsed, item.location)]

    return transform


def _port(item: Node, path: Path) -> list[Node]:
    if item.is_mapping:
        published = item.get("published")
        if published is not None and isinstance(published.value, int):
            published.value = str(published.value)
        return [item]
    return _parsed(parse_port, (str, int))(item, path)


def _env_file(node: Node, path: Path) -> Node:
    node = _string_list(node, path)

    def entry(item: Node, where: Path) -> list[Node]:
        if isinstance(item.value, str):
            return [nodes.build({"path": item.value, "required": True}, item.location)]
        return [item]

    return _each(entry)(node, path)


def _file_references(default_dir: str) -> Transform:
    """Service configs/secrets: a name, or a mapping whose target defaults from the name."""

    def entry(item: Node, where: Path) -> list[Node]:
        if isinstance(item.value, str):
            item = nodes.build({"source": item.value}, item.location)
        source = item.get("source")
        if item.is_mapping and source is not None and isinstance(source.value, str):
            target = item.get("target")
            if target is None:
                item.set("target", Node(f"{default_dir}/{source.value}", source.location))
            elif isinstance(target.value, str) and not target.value.startswith("/"):
                target.value = f"{default_dir}/{target.value}"
        return [item]

    return _each(entry)


def _names_to_mapping(entry: dict[str, Any], expected: str) -> Transform:
    """A list of names -> a mapping of each name to `entry`; a null entry -> `{}`."""

    def transform(node: Node, path: Path) -> Node:
        if node.is_sequence:
            entries = {
                name: nodes.build(entry, item.location)
                for item, name in _parsed_strings(node, path, str, expected)
            }
            return nodes.mapping(node.location, entries)
        for key, child in node.items():
            if child.value is None:
                node.set(key, nodes.mapping(child.location))
        return node

    return transform


def _extra_hosts(node: Node, path: Path) -> Node:
    entries: dict[str, Node] = {}
    if node.is_sequence:
        for item, (host, address) in _parsed_strings(
            node, path, split_host_entry, "a HOST:IP string"
        ):
            existing = entries.setdefault(host, nodes.sequence(item.location))
            existing.value.append(Node(address, item.location))
        return nodes.mapping(node.location, entries)
    if node.is_mapping:
        for key, child in node.items():
            if child.is_scalar:
                node.set(
                    key,
                    nodes.sequence(child.location, [Node(nodes.text_of(child), child.location)]),
                )
    return node


def _ulimits(node: Node, path: Path) -> Node:
    for key, child in node.items():
        if child.is_scalar and not isinstance(child.value, bool):
            node.set(key, nodes.build({"soft": child.value, "hard": child.value}, child.location))
    return node


def _healthcheck(node: Node, path: Path) -> Node:
    if not node.is_mapping:
        return node
    test = node.get("test")
    if test is not None and isinstance(test.value, str):
        node.set("test", nodes.build(["CMD-SHELL", test.value], test.location))
    disable = node.pop("disable")
    if disable is not None and nodes.text_of(disable).lower() in _TRUE:
        node.set("test", nodes.build(["NONE"], disable.location))
    return node


def _build(node: Node, path: Path) -> Node:
    if isinstance(node.value, str):
        return nodes.mapping(node.location, {"context": Node(node.value, node.location)})
    if node.is_mapping:
        _apply(node, path, BUILD_TRANSFORMS)
    return node


def _extends(node: Node, path: Path) -> Node:
    if isinstance(node.value, str):
        return nodes.mapping(node.location, {"service": Node(node.value, node.location)})
    return node


def _nested(transforms: dict[str, Transform]) -> Transform:
    """Apply `transforms` inside a mapping (a null, which Compose allows, is an empty one)."""

    def transform(node: Node, path: Path) -> Node:
        if node.value is None:
            return nodes.mapping(node.location)
        if node.is_mapping:
            _apply(node, path, transforms)
        return node

    return transform


def _resource(node: Node, path: Path) -> None:
    """A top-level network, volume, config or secret."""
    external = node.get("external")
    if external is not None and external.is_mapping:
        name = external.get("name")
        node.set("external", Node(True, external.location), node.key_location("external"))
        if name is not None and node.get("name") is None:
            node.set("name", name)
    _apply(node, path, RESOURCE_TRANSFORMS)


def _include_entry(item: Node) -> Node:
    if isinstance(item.value, str):
        item = nodes.mapping(item.location, {"path": Node(item.value, item.location)})
    if item.is_mapping:
        for key in ("path", "env_file"):
            child = item.get(key)
            if child is not None:
                item.set(key, _string_list(child, ()))
    return item


_labels = _string_map("")
_variables = _string_map(None)

BUILD_TRANSFORMS: dict[str, Transform] = {
    "args": _variables,
    "labels": _labels,
    "tags": _string_list,
}
RESOURCE_TRANSFORMS: dict[str, Transform] = {
    "labels": _labels,
    "driver_opts": _labels,
    "ipam": _nested({"options": _labels}),
}
SERVICE_TRANSFORMS: dict[str, Transform] = {
    "build": _build,
    "command": _command,
    "entrypoint": _command,
    "configs": _file_references(""),
    "secrets": _file_references(SECRETS_DIR),
    "depends_on": _names_to_mapping(
        {"condition": "service_started", "required": True}, "a service name"
    ),
    "deploy": _nested({"labels": _labels}),
    "devices": _each(_parsed(parse_device)),
    "dns": _string_list,
    "dns_search": _string_list,
    "env_file": _env_file,
    "environment": _variables,
    "expose": _each(_parsed(parse_expose, (str, int))),
    "extends": _extends,
    "extra_hosts": _extra_hosts,
    "healthcheck": _healthcheck,
    "labels": _labels,
    "logging": _nested({"options": _labels}),
    "networks": _names_to_mapping({}, "a network name"),
    "ports": _each(_port),
    "sysctls": _labels,
    "tmpfs": _string_list,
    "ulimits": _ulimits,
    "volumes": _each(_parsed(parse_volume)),
}
