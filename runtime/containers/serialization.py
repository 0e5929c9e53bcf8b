"""Frozen request records to JSON and back, so a container's request survives in the store.

Works from the dataclasses' type hints: nested records, tuples (of any
length or fixed), mappings, optionals, literals and plain scalars.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from runtime.containers.model import ContainerRequest

T = TypeVar("T")
_HINTS: dict[type, dict[str, Any]] = {}


def to_json(value: Any) -> Any:
    """A record as plain JSON data (tuples become lists, mappings dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def _hints(cls: type) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _decode(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if kind is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if data is None:
            return None
        return _decode(options[0], data) if len(options) == 1 else data
    if origin is typing.Literal:
        return data
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in data)
        return tuple(_decode(a, item) for a, item in zip(args, data, strict=True))
    if origin in (dict, Mapping, typing.Mapping) or kind in (dict, Mapping):
        args = typing.get_args(kind)
        value_kind = args[1] if args else Any
        return {key: _decode(value_kind, item) for key, item in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return from_json(kind, data)
    if kind is float and isinstance(data, int):
        return float(data)
    return data


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """A record of type `cls` from `to_json` output (unknown keys ignored)."""
    hints = _hints(cls)
    values = {
        f.name: _decode(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data
    }
    return cls(**values)


def request_from_json(data: Mapping[str, Any]) -> ContainerRequest:
    """A stored ContainerRequest."""
    return from_json(ContainerRequest, data)
