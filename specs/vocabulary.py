"""Every key of the merged tree checked against the Project model before validation.

A key the model knows passes; a key of the Compose Specification that
pycompose does not model yet is refused with "pycompose does not support 'X'
yet"; anything else is a typo, reported with the nearest known key. `x-` keys
pass everywhere. The model classes are the vocabulary: their fields (by
Compose name) are the known keys, their `unsupported` sets the refused ones.
"""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Any

from specs import nodes
from specs.errors import SpecError
from specs.model.base import EXTENSION_PREFIX, SpecModel
from specs.model.project import Project
from specs.nodes import Node
from specs.suggestions import did_you_mean

_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
# How a field's value nests a model: as itself, as the values of a mapping, or as list items.
Nesting = tuple[str, type[SpecModel]] | None


def check_keys(root: Node) -> None:
    """Raise SpecError at the first key no model knows (in document order)."""
    _check(root, Project, ())


def _check(node: Node, model: type[SpecModel], path: nodes.Path) -> None:
    if not node.is_mapping:
        return
    known = model.compose_keys()
    for key, child in node.items():
        if key.startswith(EXTENSION_PREFIX):
            continue
        if key not in known:
            raise _unknown_key(node, key, model, path)
        nesting = _nesting(model, key)
        if nesting is None:
            continue
        kind, inner = nesting
        where = (*path, key)
        if kind == "model":
            _check(child, inner, where)
        elif kind == "mapping":
            for name, value in child.items():
                if not _NAME.match(name):
                    raise nodes.error(
                        child.key_location(name),
                        (*where, name),
                        f'"{name}" is not a valid name (use letters, digits, ".", "_" and "-")',
                    )
                _check(value, inner, (*where, name))
        else:
            for index, item in child.children():
                _check(item, inner, (*where, index))


def _unknown_key(node: Node, key: str, model: type[SpecModel], path: nodes.Path) -> SpecError:
    where = (*path, key)
    location = node.key_location(key)
    if key in model.unsupported:
        return nodes.error(location, where, f"pycompose does not support '{key}' yet")
    hint = did_you_mean(key, model.compose_keys() | model.unsupported | model.rewritten)
    return nodes.error(location, where, f"unknown key '{key}'{hint}")


@cache
def _nesting(model: type[SpecModel], key: str) -> Nesting:
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return _nesting_of(field.annotation)
    return None


def _nesting_of(annotation: Any) -> Nesting:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, SpecModel):
        return ("model", annotation)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is dict and len(arguments) == 2:
        inner = _unwrap(arguments[1])
        if isinstance(inner, type) and issubclass(inner, SpecModel):
            return ("mapping", inner)
    if origin is list and arguments:
        inner = _unwrap(arguments[0])
        if isinstance(inner, type) and issubclass(inner, SpecModel):
            return ("list", inner)
    return None


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
