"""Position-aware trees: every key and value of a Compose file remembers where it was written.

The loader's stages (interpolation, canonical syntax, paths, merge, extends...)
work on these trees, so an error found at any stage can name the file, line and
column. A `Node` holds a mapping (`dict[str, Node]`), a sequence (`list[Node]`)
or a scalar, the location of its value, the locations of its keys (mappings),
the YAML tag that matters to Compose (`!reset`, `!override`) and, for scalars,
the text as written (so `1.0` in an environment stays `"1.0"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from specs.errors import Location, SpecError

Path = tuple[str | int, ...]
RESET = "!reset"
OVERRIDE = "!override"


@dataclass(slots=True, eq=False)
class Node:
    """A value of the file with its location; mappings also know where each key is."""

    value: Any
    location: Location
    tag: str = ""
    keys: dict[str, Location] | None = None
    text: str | None = None

    @property
    def is_mapping(self) -> bool:
        """True for a YAML mapping."""
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        """True for a YAML sequence."""
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        """True for a string, number, boolean or null."""
        return not isinstance(self.value, dict | list)

    def get(self, key: str) -> Node | None:
        """The child under `key` of a mapping, or None (also for non-mappings)."""
        if isinstance(self.value, dict):
            child: Node | None = self.value.get(key)
            return child
        return None

    def key_location(self, key: str) -> Location:
        """Where `key` is written in this mapping (the value's location if unknown)."""
        if self.keys and key in self.keys:
            return self.keys[key]
        child = self.get(key)
        return child.location if child is not None else self.location

    def set(self, key: str, child: Node, key_location: Location | None = None) -> None:
        """Put `child` under `key`, keeping an existing key's location."""
        self.value[key] = child
        if self.keys is None:
            self.keys = {}
        if key_location is not None:
            self.keys[key] = key_location
        else:
            self.keys.setdefault(key, child.location)

    def pop(self, key: str) -> Node | None:
        """Remove and return the child under `key` of a mapping."""
        if self.keys:
            self.keys.pop(key, None)
        child: Node | None = self.value.pop(key, None)
        return child

    def items(self) -> Iterator[tuple[str, Node]]:
        """The entries of a mapping (empty for other nodes)."""
        if isinstance(self.value, dict):
            yield from list(self.value.items())

    def children(self) -> Iterator[tuple[str | int, Node]]:
        """Entries of a mapping or items of a sequence, with their key or index."""
        if isinstance(self.value, dict):
            yield from list(self.value.items())
        elif isinstance(self.value, list):
            yield from enumerate(list(self.value))


def mapping(location: Location, entries: dict[str, Node] | None = None, tag: str = "") -> Node:
    """A new mapping node whose keys are located where their values are."""
    values = dict(entries or {})
    return Node(values, location, tag, {key: child.location for key, child in values.items()})


def sequence(location: Location, items: list[Node] | None = None, tag: str = "") -> Node:
    """A new sequence node."""
    return Node(list(items or []), location, tag)


def scalar(value: Any, location: Location) -> Node:
    """A new scalar node (a synthesized value is located where its source was)."""
    return Node(value, location)


def build(value: Any, location: Location) -> Node:
    """A tree from plain data, every node located at `location`."""
    if isinstance(value, Node):
        return value
    if isinstance(value, dict):
        return mapping(location, {str(k): build(v, location) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return sequence(location, [build(item, location) for item in value])
    return Node(value, location)


def copy(node: Node) -> Node:
    """A deep copy, so later stages may change it without touching the original."""
    value = node.value
    if isinstance(value, dict):
        entries = {key: copy(child) for key, child in value.items()}
        return Node(entries, node.location, node.tag, dict(node.keys or {}), node.text)
    if isinstance(value, list):
        return Node([copy(item) for item in value], node.location, node.tag, None, node.text)
    return Node(value, node.location, node.tag, None, node.text)


def to_plain(node: Node) -> Any:
    """The tree as plain dicts, lists and scalars."""
    value = node.value
    if isinstance(value, dict):
        return {key: to_plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return value


def text_of(node: Node) -> str:
    """A scalar as text: strings as they are, numbers and booleans as written."""
    value = node.value
    if isinstance(value, str):
        return value
    if node.text is not None:
        return node.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def format_path(path: Path) -> str:
    """("services", "web", "ports", 0) -> `services.web.ports[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def walk(root: Node, path: Path) -> list[Node]:
    """The nodes along `path` from `root`, as far as the path exists in the tree."""
    trail = [root]
    node = root
    for part in path:
        child: Node | None = None
        if isinstance(part, int) and isinstance(node.value, list):
            if 0 <= part < len(node.value):
                child = node.value[part]
        elif isinstance(node.value, dict):
            child = node.value.get(str(part))
        if child is None:
            break
        trail.append(child)
        node = child
    return trail


def locate(root: Node, path: Path, *, key: bool = False) -> Location:
    """Where the value at `path` is written; with `key`, where its key is written."""
    trail = walk(root, path)
    if key and len(trail) == len(path) + 1 and path and isinstance(path[-1], str):
        return trail[-2].key_location(path[-1])
    return trail[-1].location


def error(location: Location | Node, path: Path, message: str) -> SpecError:
    """A SpecError at a node or location, for the key path `path`."""
    where = location.location if isinstance(location, Node) else location
    return SpecError(message, where, format_path(path) or None)


def describe(value: Any) -> str:
    """A short description of a plain value for error messages."""
    if isinstance(value, Node):
        value = to_plain(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
