"""YAML text into position-aware trees, read the way Compose (Go's yaml.v3) reads it.

Scalars are resolved with YAML 1.2's core schema, as Compose does: `yes`, `on`
and `22:22` stay strings, `0440` is octal. Mapping keys are always strings.
Merge keys (`<<`) work; duplicate keys, unknown tags and documents that
explode through aliases ("billion laughs") are errors with a position.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from specs.errors import Location, SpecError
from specs.nodes import OVERRIDE, RESET, Node
from specs.textfiles import read_text

# At most this many values once aliases are expanded; far beyond any real app.
MAX_EXPANDED_VALUES = 1_000_000
# Compose files nest a handful of levels; deeper input is hostile.
MAX_DEPTH = 64

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_COMPOSE_TAGS = (RESET, OVERRIDE)

_INT_PATTERN = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT_PATTERN = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


class _ComposeLoader(_BaseLoader):
    """PyYAML's composer with YAML 1.2 core-schema resolution instead of YAML 1.1's."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}


_NUMBER_START = list("-+.0123456789")
_ComposeLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_ComposeLoader.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_ComposeLoader.add_implicit_resolver(_INT, _INT_PATTERN, _NUMBER_START)
_ComposeLoader.add_implicit_resolver(_FLOAT, _FLOAT_PATTERN, _NUMBER_START)
_ComposeLoader.add_implicit_resolver(_FLOAT, _SPECIAL_FLOAT, ["-", "+", "."])
_ComposeLoader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


class _CoreSchemaResolver(yaml.resolver.BaseResolver):
    yaml_implicit_resolvers = _ComposeLoader.yaml_implicit_resolvers


_RESOLVERS = (_CoreSchemaResolver(), yaml.resolver.Resolver())


def reads_as_string(text: str) -> bool:
    """True when `text`, written unquoted, is a string to both YAML 1.2 and YAML 1.1 readers."""
    return all(
        resolver.resolve(yaml.ScalarNode, text, (True, False)) == _STR for resolver in _RESOLVERS
    )


def parse_file(path: Path, display_name: str) -> list[Node]:
    """Read and parse a Compose file: one tree per YAML document."""
    text = read_text(path, display_name)
    return parse(text, display_name)


def parse(text: str, display_name: str) -> list[Node]:
    """Parse YAML text: one tree per document (an empty document is an empty mapping)."""
    loader = _ComposeLoader(text)
    documents: list[Node] = []
    try:
        while loader.check_node():
            root = loader.get_node()
            if "*" in text:  # only aliases can make a document grow
                _Converter(loader, display_name).check_size(root)
            documents.append(_Converter(loader, display_name).convert(root, 0))
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, text, display_name) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{display_name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents


def _yaml_error(exc: yaml.MarkedYAMLError, text: str, display_name: str) -> SpecError:
    mark = exc.problem_mark or exc.context_mark
    location = Location(display_name, mark.line + 1, mark.column + 1) if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    lines = text.splitlines()
    if mark and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        return SpecError("invalid YAML: a tab cannot indent or separate YAML values", location)
    if (
        exc.context
        and exc.problem
        and exc.context_mark is not None
        and "scanning" not in exc.context
    ):
        context_mark = exc.context_mark
        problem += (
            f" ({exc.context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
        )
    return SpecError(f"invalid YAML: {problem}", location)


class _Converter:
    """Turns PyYAML's node graph into position-aware Nodes, expanding aliases."""

    def __init__(self, loader: Any, display_name: str):
        self.loader = loader
        self.display_name = display_name

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.display_name, mark.line + 1, mark.column + 1)

    def check_size(self, root: yaml.Node) -> None:
        """Refuse documents whose aliases expand past MAX_EXPANDED_VALUES, or loop."""
        sizes: dict[int, int] = {}
        in_progress: set[int] = set()

        def size(node: yaml.Node) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in in_progress:
                raise SpecError("an alias refers to a value that contains it", self.location(node))
            in_progress.add(key)
            total = 1
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    total += size(key_node) + size(value_node)
            elif isinstance(node, yaml.SequenceNode):
                for item in node.value:
                    total += size(item)
            in_progress.discard(key)
            if total > MAX_EXPANDED_VALUES:
                raise SpecError(
                    f"the document expands to more than {MAX_EXPANDED_VALUES} values "
                    "through aliases",
                    self.location(node),
                )
            sizes[key] = total
            return total

        size(root)

    def convert(self, node: yaml.Node, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise SpecError(f"values nest more than {MAX_DEPTH} levels deep", self.location(node))
        tag = node.tag if node.tag in _COMPOSE_TAGS else ""
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, _MAP)
            return self._mapping(node, depth, tag)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _SEQ)
            items = [self.convert(item, depth + 1) for item in node.value]
            return Node(items, self.location(node), tag)
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, tag)

    def _check_tag(self, node: yaml.Node, default: str) -> None:
        if node.tag not in (default, *_COMPOSE_TAGS):
            raise SpecError(
                f"unknown tag '{node.tag}' (Compose files know !reset and !override)",
                self.location(node),
            )

    def _mapping(self, node: yaml.MappingNode, depth: int, tag: str) -> Node:
        entries: dict[str, Node] = {}
        keys: dict[str, Location] = {}
        merged: list[tuple[str, Node, Location]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a mapping key must be a string", self.location(key_node))
            key = str(key_node.value)
            if "\0" in key:
                raise SpecError(
                    "a key cannot contain a NUL character (\\0)", self.location(key_node)
                )
            if key in keys:
                first = keys[key]
                raise SpecError(
                    f"key '{key}' is already defined at line {first.line}",
                    self.location(key_node),
                )
            keys[key] = self.location(key_node)
            entries[key] = self.convert(value_node, depth + 1)
        for key, value, key_location in merged:
            if key not in entries:
                entries[key] = value
                keys[key] = key_location
        return Node(entries, self.location(node), tag, keys)

    def _merge_sources(self, value: yaml.Node, depth: int) -> list[tuple[str, Node, Location]]:
        """Entries a `<<` key brings in; the first source to name a key wins."""
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        entries: list[tuple[str, Node, Location]] = []
        seen: set[str] = set()
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise SpecError(
                    "a merge key (<<) takes a mapping or a list of mappings", self.location(source)
                )
            converted = self._mapping(source, depth + 1, "")
            for key, child in converted.value.items():
                if key not in seen:
                    seen.add(key)
                    entries.append((key, child, converted.key_location(key)))
        return entries

    def _scalar(self, node: yaml.ScalarNode, tag: str) -> Node:
        text = str(node.value)
        location = self.location(node)
        if "\0" in text:
            # No Compose value can hold one: the kernel cuts arguments, paths and
            # environment entries at the first NUL.
            raise SpecError("a value cannot contain a NUL character (\\0)", location)
        resolved = node.tag
        if tag:
            resolved = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        elif node.tag.startswith("!") or not node.tag.startswith("tag:yaml.org,2002:"):
            raise SpecError(
                f"unknown tag '{node.tag}' (Compose files know !reset and !override)", location
            )
        return Node(_scalar_value(resolved, text, location), location, tag, None, text)


def _scalar_value(tag: str, text: str, location: Location) -> Any:
    if tag == _NULL:
        return None
    if tag == _BOOL:
        if text.lower() not in ("true", "false"):
            raise SpecError(f'"{text}" is not a boolean', location)
        return text.lower() == "true"
    if tag == _INT:
        number = _integer(text)
        if number is not None:
            return number
        if _FLOAT_PATTERN.match(text.replace("_", "")):
            return float(text.replace("_", ""))
        raise SpecError(f'"{text}" is not an integer', location)
    if tag == _FLOAT:
        return _float(text, location)
    if tag in (_STR, _MERGE):
        return text
    raise SpecError(f"unknown tag '{tag}'", location)


def _integer(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 0, 64) after removing underscores: 0777 is octal."""
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    try:
        if digits[:2] in ("0b", "0o", "0x"):
            return sign * int(digits, 0)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits, 8)
        return sign * int(digits, 10)
    except ValueError:
        return None


def _float(text: str, location: Location) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise SpecError(f'"{text}" is not a number', location) from None
