"""Merging canonical trees with Compose's rules: later files (and extending services) win.

Mappings merge key by key; sequences append, except: `command`, `entrypoint`
and `healthcheck.test` are replaced; `ports` are unique by host IP, published
port, target and protocol, `volumes`, `configs`, `secrets` and `devices` by
target, `env_file` by path and IPAM pools by subnet, a later entry replacing
an earlier one with the same key; lists of names (`dns`, `cap_add`,
`profiles`...) keep each value once. `logging` options merge only when both
sides use the same driver. A value tagged `!reset` removes the key; one tagged
`!override` replaces it whole. The result shares no node with its inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specs import nodes
from specs.nodes import OVERRIDE, RESET, Node, Path

Key = Callable[[Node], Any]
REPLACE = "replace"
UNION = "union"
LOGGING = "logging"


def _plain(node: Node | None) -> Any:
    return None if node is None else nodes.to_plain(node)


def _field(name: str) -> Key:
    return lambda item: _plain(item.get(name)) if item.is_mapping else ("", nodes.to_plain(item))


def _port_key(item: Node) -> Any:
    if not item.is_mapping:
        return ("", nodes.to_plain(item))
    return (
        _plain(item.get("host_ip")) or "",
        str(_plain(item.get("published")) or ""),
        str(_plain(item.get("target"))),
        _plain(item.get("protocol")) or "tcp",
    )


_RULES: dict[tuple[str, ...], str | Key] = {
    ("services", "*", "command"): REPLACE,
    ("services", "*", "entrypoint"): REPLACE,
    ("services", "*", "healthcheck", "test"): REPLACE,
    ("services", "*", "logging"): LOGGING,
    ("services", "*", "ports"): _port_key,
    ("services", "*", "volumes"): _field("target"),
    ("services", "*", "configs"): _field("target"),
    ("services", "*", "secrets"): _field("target"),
    ("services", "*", "devices"): _field("target"),
    ("services", "*", "env_file"): _field("path"),
    ("networks", "*", "ipam", "config"): _field("subnet"),
    ("services", "*", "networks", "*", "aliases"): UNION,
    ("services", "*", "build", "tags"): UNION,
}
for _name in (
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "expose",
    "links",
    "profiles",
    "security_opt",
    "tmpfs",
    "volumes_from",
):
    _RULES[("services", "*", _name)] = UNION
_RULES_BY_LENGTH: dict[int, list[tuple[tuple[str, ...], str | Key]]] = {}
for _pattern, _strategy in _RULES.items():
    _RULES_BY_LENGTH.setdefault(len(_pattern), []).append((_pattern, _strategy))


def _rule(path: Path) -> str | Key | None:
    for pattern, rule in _RULES_BY_LENGTH.get(len(path), ()):
        if all(part == "*" or part == step for part, step in zip(pattern, path, strict=True)):
            return rule
    return None


def settle(node: Node) -> Node:
    """A copy with `!reset` entries dropped and tags cleared (a value merged onto nothing)."""
    value = node.value
    if isinstance(value, dict):
        result = Node({}, node.location, "", {})
        for key, child in value.items():
            if child.tag != RESET:
                result.set(key, settle(child), node.key_location(key))
        return result
    if isinstance(value, list):
        return Node([settle(item) for item in value], node.location)
    return Node(value, node.location, "", None, node.text)


def merge(base: Node | None, override: Node, path: Path = ()) -> Node:
    """`override` merged onto `base` (either may be from another file)."""
    if base is None or override.tag == OVERRIDE:
        return settle(override)
    rule = _rule(path)
    if rule == REPLACE:
        return settle(override)
    if base.is_mapping and override.is_mapping:
        if rule == LOGGING and _driver_changes(base, override):
            return settle(override)
        return _merge_mappings(base, override, path)
    if base.is_sequence and override.is_sequence:
        return _merge_sequences(base, override, rule)
    return settle(override)


def _driver_changes(base: Node, override: Node) -> bool:
    before, after = base.get("driver"), override.get("driver")
    return before is not None and after is not None and before.value != after.value


def _merge_mappings(base: Node, override: Node, path: Path) -> Node:
    result = settle(base)
    for key, child in override.items():
        if child.tag == RESET:
            result.pop(key)
            continue
        merged = merge(result.get(key), child, (*path, key))
        result.set(key, merged, override.key_location(key))
    return result


def _merge_sequences(base: Node, override: Node, rule: str | Key | None) -> Node:
    items = [settle(item) for item in base.value]
    if rule is None or (isinstance(rule, str) and rule != UNION):
        items.extend(settle(item) for item in override.value)
        return Node(items, override.location)
    key_of: Key = rule if callable(rule) else nodes.to_plain
    index = {_hashable(key_of(item)): position for position, item in enumerate(items)}
    for item in override.value:
        key = _hashable(key_of(item))
        if key in index:
            items[index[key]] = settle(item)
        else:
            index[key] = len(items)
            items.append(settle(item))
    return Node(items, override.location)


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    return value


def merge_all(documents: list[Node]) -> Node | None:
    """Merge a list of file trees in order; None for no documents. A single tree is
    settled in place (its `!reset` entries dropped, tags cleared) rather than copied."""
    if len(documents) == 1:
        return _settle_in_place(documents[0])
    merged: Node | None = None
    for document in documents:
        merged = merge(merged, document)
    return merged


def _settle_in_place(node: Node) -> Node:
    node.tag = ""
    value = node.value
    if isinstance(value, dict):
        for key, child in list(value.items()):
            if child.tag == RESET:
                node.pop(key)
            else:
                _settle_in_place(child)
    elif isinstance(value, list):
        for item in value:
            _settle_in_place(item)
    return node
