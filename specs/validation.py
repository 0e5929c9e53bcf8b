"""The merged, normalised tree validated into the Project model.

Pydantic does the checking; its errors never reach the user as they are:
each is turned into `file:line:col: key.path: what is wrong`, the position
found by following the error's location through the position-aware tree.
When several values are wrong, the first in the file is reported.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from specs import nodes
from specs.errors import SpecError
from specs.model.project import Project
from specs.model.scalars import FROM_FILE
from specs.nodes import Node

_EXPECTED = {
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "none_required": "null",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def validate(root: Node, fields: dict[str, Any]) -> Project:
    """The Project for `root`, with the loader's own `fields` (name, directory...) added."""
    data = nodes.to_plain(root)
    services = data.get("services")
    for name, service in services.items() if isinstance(services, dict) else ():
        if isinstance(service, dict):
            service["name"] = name
    data.update(fields)
    try:
        return Project.model_validate(data, context={FROM_FILE: True})
    except ValidationError as exc:
        raise _first_error(exc, root) from None


def _first_error(exc: ValidationError, root: Node) -> SpecError:
    errors = [_translate(detail, root) for detail in exc.errors(include_url=False)]
    located = [error for error in errors if error.location is not None]
    if located:
        return min(located, key=lambda error: _order(error))
    return errors[0]


def _order(error: SpecError) -> tuple[str, int, int]:
    location = error.location
    assert location is not None
    return (location.file, location.line, location.column)


def _translate(detail: ErrorDetails, root: Node) -> SpecError:
    kind = detail["type"]
    path = _tree_path(root, detail["loc"])
    if kind == "missing":
        key = str(detail["loc"][-1])
        return nodes.error(nodes.locate(root, path, key=True), path, f"'{key}' is required")
    if kind == "extra_forbidden":
        key = str(detail["loc"][-1])
        return nodes.error(nodes.locate(root, path, key=True), path, f"unknown key '{key}'")
    on_key = "[key]" in detail["loc"]
    return nodes.error(nodes.locate(root, path, key=on_key), path, _message(detail))


def _tree_path(root: Node, location: tuple[int | str, ...]) -> nodes.Path:
    """The part of pydantic's error location that names keys and items of the tree."""
    path: list[str | int] = []
    node: Node | None = root
    for part in location:
        child = None
        if node is not None and isinstance(part, int) and node.is_sequence:
            if 0 <= part < len(node.value):
                child = node.value[part]
        elif node is not None and isinstance(part, str) and node.is_mapping:
            child = node.get(part)
        if child is not None:
            path.append(part)
            node = child
    return tuple(path)


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    context = detail.get("ctx") or {}
    value = detail.get("input")
    if kind in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {nodes.describe(value)}"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", '"')
        return f"{nodes.describe(value)} is not one of {expected}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        size = "small" if kind.startswith("greater") else "large"
        return f"{nodes.describe(value)} is too {size} (must be {words} {context.get(key)})"
    if kind in ("string_too_short", "too_short"):
        return f"{nodes.describe(value)} is too short"
    if kind == "finite_number":
        return f"{nodes.describe(value)} is not a finite number"
    if kind == "string_pattern_mismatch":
        return f"{nodes.describe(value)} does not have the expected form"
    return f"{nodes.describe(value)} is not valid here"
