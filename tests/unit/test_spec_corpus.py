"""The spec corpus: every valid project prints its expected file, validates against the
Compose schema and reads back the same; every broken one gives its exact error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specs.rendering import to_compose, to_json, to_yaml
from tests.support import spec_cases
from tests.support.oracles import compose_schema_validator

VALID = spec_cases.cases(spec_cases.VALID)
INVALID = spec_cases.cases(spec_cases.INVALID)


def test_the_corpus_is_large_enough() -> None:
    assert len(VALID) >= 40
    assert len(INVALID) >= 40


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_valid_case_prints_its_expected_file(case: spec_cases.Case) -> None:
    expected = (case.directory / spec_cases.EXPECTED).read_text()
    assert spec_cases.rendered(case) == expected


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_valid_case_output_validates_against_the_compose_schema(case: spec_cases.Case) -> None:
    validator = compose_schema_validator()
    document = json.loads(spec_cases.rendered(case, json=True))
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_valid_case_output_reads_back_the_same(case: spec_cases.Case, tmp_path: Path) -> None:
    project = spec_cases.load(case)
    first = to_compose(project)
    again = tmp_path / "compose.yaml"
    again.write_text(to_yaml(first))
    reloaded = spec_cases.load(
        spec_cases.Case(
            directory=tmp_path,
            env=_without_file_selection(project.environment),
            profiles=case.profiles,
        )
    )
    assert to_json(to_compose(reloaded)) == to_json(first)
    for name, service in project.services.items():
        assert reloaded.services[name].config_hash() == service.config_hash()


@pytest.mark.parametrize("case", INVALID, ids=lambda case: case.name)
def test_invalid_case_gives_its_exact_error(case: spec_cases.Case) -> None:
    expected = (case.directory / spec_cases.ERROR).read_text().strip()
    assert spec_cases.error_of(case) == expected


def _without_file_selection(environment: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in environment.items() if key != "COMPOSE_FILE"}
