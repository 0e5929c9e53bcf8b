"""Reference data from other projects that tests check pycompose against.

The oracles live beside the repository (`../shared/oracles/` of a checkout);
they are looked for in the parent directories of the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def oracle(name: str) -> Path:
    """The path of an oracle file; skips the test when no checkout has one nearby."""
    for directory in (REPOSITORY, *REPOSITORY.parents):
        candidate = directory / "shared" / "oracles" / name
        if candidate.is_file():
            return candidate
    pytest.skip(f"oracle {name} not found in shared/oracles beside the repository")


@cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(oracle("compose-spec.json").read_text())
    return loaded


def compose_schema_validator() -> Any:
    """A jsonschema validator for the Compose Specification (draft 2020-12)."""
    from jsonschema import Draft202012Validator

    schema = _schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
