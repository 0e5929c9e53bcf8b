"""Manifests as text: one YAML stream, or one file per object in a directory.

Files are named `<name>-<kind>.yaml` (`web-deployment.yaml`), as kompose names
them; a stream separates objects with `---`. Multi-line strings (scripts,
config files) are written as literal blocks and no YAML anchors are used, so
the output reads like hand-written manifests.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from orchestrator.kubernetes.errors import KubernetesError


class _Dumper(yaml.SafeDumper):
    """A SafeDumper without anchors, with literal blocks for multi-line text."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_text)


def to_yaml(document: dict[str, Any]) -> str:
    """One object as YAML, keys in the order they were made."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def to_stream(documents: Iterable[dict[str, Any]]) -> str:
    """Objects as one YAML stream."""
    return "---\n".join(to_yaml(document) for document in documents)


def file_name(document: dict[str, Any]) -> str:
    """The file an object is written to in a directory: `<name>-<kind>.yaml`."""
    return f"{document['metadata']['name']}-{document['kind'].lower()}.yaml"


def write_directory(directory: Path, documents: Sequence[dict[str, Any]]) -> list[Path]:
    """Write each object to its own file under `directory` (made if missing); the paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KubernetesError(f"cannot make directory {directory}: {exc.strerror}") from None
    written = []
    for document in documents:
        path = directory / file_name(document)
        write_file(path, to_yaml(document), private=document["kind"] == "Secret")
        written.append(path)
    return written


def write_file(path: Path, text: str, *, private: bool = False) -> None:
    """Write `text` to `path` atomically (a reader never sees half a manifest); a `private`
    file (one holding secrets) is readable by its owner only."""
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, 0o600 if private else 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise KubernetesError(f"cannot write {path}: {exc.strerror}") from None
