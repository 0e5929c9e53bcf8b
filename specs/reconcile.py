"""Service-level resource keys moved into `deploy`, so the Project has one place for each.

`mem_limit`, `mem_reservation`, `cpus`, `pids_limit` and `scale` go to
`deploy.resources.limits.memory`, `...reservations.memory`, `...limits.cpus`,
`...limits.pids` and `deploy.replicas`. Setting both forms to different values
is an error, as in Compose. A `deploy.restart_policy` without `restart` gives
the equivalent `restart`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specs import nodes, units
from specs.nodes import Node

MOVED_KEYS = {
    "mem_limit": "deploy.resources.limits.memory",
    "mem_reservation": "deploy.resources.reservations.memory",
    "cpus": "deploy.resources.limits.cpus",
    "pids_limit": "deploy.resources.limits.pids",
    "scale": "deploy.replicas",
}


def _size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{nodes.describe(value)} is not a size ({units.SIZE_EXPECTED})")
    return value if isinstance(value, int) else units.parse_size(value)


def _number(kind: type) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        try:
            if isinstance(value, bool):
                raise ValueError
            number = kind(value)
            if kind is int and isinstance(value, float) and number != value:
                raise ValueError
            return number
        except (TypeError, ValueError):
            article = "an integer" if kind is int else "a number"
            raise ValueError(f"{nodes.describe(value)} is not {article}") from None

    return parse


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "mem_limit": _size,
    "mem_reservation": _size,
    "cpus": _number(float),
    "pids_limit": _number(int),
    "scale": _number(int),
}
_RESTART = {"none": "no", "on-failure": "on-failure", "any": "always"}


def reconcile_resources(root: Node) -> None:
    """Move the service-level resource keys of every service into `deploy`, in place."""
    services = root.get("services")
    for name, service in services.items() if services is not None and services.is_mapping else ():
        if not service.is_mapping:
            continue
        for key, target in MOVED_KEYS.items():
            node = service.get(key)
            if node is not None:
                _move(service, key, target.split("."), ("services", name))
        _restart_from_policy(service)


def _parse(node: Node, key: str, path: nodes.Path) -> Any:
    try:
        return _PARSERS[key](node.value)
    except ValueError as exc:
        raise nodes.error(node, path, str(exc)) from None


def _move(service: Node, key: str, target: list[str], path: nodes.Path) -> None:
    node = service.pop(key)
    assert node is not None
    key_location = node.location if service.keys is None else service.keys.get(key, node.location)
    value = _parse(node, key, (*path, key))
    parent = service
    for step in target[:-1]:
        child = parent.get(step)
        if child is None or child.value is None:
            child = nodes.mapping(node.location)
            parent.set(step, child, key_location)
        if not child.is_mapping:
            return
        parent = child
    existing = parent.get(target[-1])
    if existing is not None:
        other = _parse(existing, key, (*path, *target))
        if other != value:
            raise nodes.error(
                key_location,
                (*path, key),
                f"'{key}' and '{'.'.join(target)}' are both set, to different values; set only one",
            )
        return
    parent.set(target[-1], node, key_location)


def _restart_from_policy(service: Node) -> None:
    deploy = service.get("deploy")
    policy = deploy.get("restart_policy") if deploy is not None else None
    if service.get("restart") is not None or policy is None or not policy.is_mapping:
        return
    condition = policy.get("condition")
    mode = _RESTART.get(condition.value if condition is not None else "any")
    if mode is None:
        return
    attempts = policy.get("max_attempts")
    if mode == "on-failure" and attempts is not None and isinstance(attempts.value, int):
        mode = f"on-failure:{attempts.value}"
    service.set("restart", Node(mode, policy.location))
