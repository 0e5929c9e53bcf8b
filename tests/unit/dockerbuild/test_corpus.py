"""The Dockerfile corpus: every valid file parses to its reviewed JSON, every invalid one
fails with its exact message.

Set PYCOMPOSE_WRITE_EXPECTED=1 to rewrite the expected files after a reviewed change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runtime.build.dockerfile import parse_dockerfile
from runtime.build.errors import BuildError
from tests.unit.dockerbuild.corpus import INVALID, VALID, cases, compact_json, plan_everything

WRITE = os.environ.get("PYCOMPOSE_WRITE_EXPECTED") == "1"


def test_corpus_is_large_enough() -> None:
    assert len(cases(VALID)) >= 25
    assert len(cases(INVALID)) >= 25


@pytest.mark.parametrize("path", cases(VALID), ids=lambda path: path.stem)
def test_valid_dockerfile_parses_to_expected_json(path: Path) -> None:
    parsed = parse_dockerfile(path.read_bytes()).to_dict()
    expected_path = path.with_suffix(".json")
    if WRITE:
        expected_path.write_text(compact_json(parsed) + "\n")
    assert parsed == json.loads(expected_path.read_text())


@pytest.mark.parametrize("path", cases(INVALID), ids=lambda path: path.stem)
def test_invalid_dockerfile_fails_with_expected_message(path: Path) -> None:
    expected_path = path.with_suffix(".txt")
    with pytest.raises(BuildError) as caught:
        plan_everything(path.read_bytes())
    if WRITE:
        expected_path.write_text(str(caught.value) + "\n")
    assert str(caught.value) == expected_path.read_text().rstrip("\n")


def test_every_case_has_its_expectation() -> None:
    for path in cases(VALID):
        assert path.with_suffix(".json").is_file(), path
    for path in cases(INVALID):
        assert path.with_suffix(".txt").is_file(), path
