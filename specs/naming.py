"""The project name: `-p`, else COMPOSE_PROJECT_NAME, else `name:`, else the directory's name.

A name given on the command line or in COMPOSE_PROJECT_NAME must already be
valid (lowercase letters, digits, `-` and `_`, starting with a letter or
digit); one from `name:` or from the directory is made valid the way Compose
does: lowercased, other characters dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from specs.errors import SpecError
from specs.interpolation import InterpolationError, substitute
from specs.nodes import Node, error

_VALID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_RULE = (
    "a project name has only lowercase letters, digits, dashes and underscores, "
    "and starts with a letter or a digit"
)


def normalise_name(text: str) -> str:
    """`My App!` -> `myapp`, as Compose normalises names."""
    kept = "".join(
        char for char in text.lower() if char.isascii() and (char.isalnum() or char in "_-")
    )
    return kept.lstrip("_-")


def project_name(
    explicit: str | None,
    environment: Mapping[str, str],
    documents: Sequence[Node],
    project_directory: Path,
) -> str:
    """Decide the project's name (see the module docstring for the order)."""
    if explicit is not None:
        return _checked(explicit, "-p")
    from_environment = environment.get("COMPOSE_PROJECT_NAME")
    if from_environment:
        return _checked(from_environment, "COMPOSE_PROJECT_NAME")
    written: Node | None = None
    for document in documents:
        node = document.get("name")
        if node is not None:
            written = node
    if written is not None and written.value is not None:
        if not isinstance(written.value, str):
            raise error(written, ("name",), "expected a string")
        try:
            text = substitute(written.value, environment).text
        except InterpolationError as exc:
            raise error(written, ("name",), str(exc)) from None
        name = normalise_name(text)
        if not name:
            raise error(
                written, ("name",), f'"{text}" has nothing usable as a project name ({_RULE})'
            )
        return name
    name = normalise_name(project_directory.name)
    if not name:
        raise SpecError(
            f'the directory name "{project_directory.name}" gives no project name; '
            "set one with -p or with name: in the file"
        )
    return name


def _checked(name: str, origin: str) -> str:
    if not _VALID.match(name):
        raise SpecError(f'invalid project name "{name}" (from {origin}): {_RULE}')
    return name
