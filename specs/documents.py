"""One Compose file made ready to merge: interpolated, in long syntax, with absolute paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from specs import nodes
from specs.canonical import canonicalise
from specs.interpolation import interpolate
from specs.nodes import Node
from specs.paths import resolve_paths


def prepare(
    documents: list[Node],
    base_dir: str,
    environment: Mapping[str, str],
    warn: Callable[[str], None],
) -> list[Node]:
    """Interpolate each YAML document of a file, rewrite it into long syntax and make its
    paths absolute against `base_dir`; an empty document is an empty mapping."""
    prepared = []
    for document in documents:
        if document.value is None:
            document = nodes.mapping(document.location)
        if not document.is_mapping:
            raise nodes.error(
                document,
                (),
                f"the top level of a Compose file must be a mapping, not {nodes.describe(document)}",
            )
        version = document.pop("version")
        if version is not None:
            warn(f"{version.location}: 'version' is obsolete and ignored")
        interpolate(document, environment, warn)
        canonicalise(document)
        resolve_paths(document, base_dir, environment)
        prepared.append(document)
    return prepared
