"""A Project written back as a Compose file (`pycompose config`), in YAML or JSON.

The output is the normalised model: long syntax, absolute paths, durations
as `1m30s`, sizes in bytes, and keys sorted. Every `$` in a value is written
`$$`, so the output read again (by pycompose or by Compose) means the same.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from specs.model.project import Project
from specs.parser import reads_as_string


def to_compose(project: Project) -> dict[str, Any]:
    """The project as a Compose document (plain data)."""
    data = project.model_dump(mode="json")
    for section in ("services", "networks", "volumes", "configs", "secrets"):
        if section in data:
            data[section] = dict(sorted(data[section].items()))
    escaped: dict[str, Any] = _escape(data)
    return escaped


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escape(item) for item in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Block style, readable multi-line strings, no surprises for YAML 1.2 readers."""


def _represent_string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if not reads_as_string(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_string)


def to_yaml(document: dict[str, Any]) -> str:
    """YAML text of a Compose document, keys sorted."""
    text: str = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1000,
    )
    return text


def to_json(document: dict[str, Any]) -> str:
    """JSON text of a Compose document, keys sorted."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
