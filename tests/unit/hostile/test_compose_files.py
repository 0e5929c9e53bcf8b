"""Hostile Compose files: each gives its exact one-line error (or loads, for big but valid
input) in bounded time and memory, and loading changes nothing on disk.

Paths outside the project directory are allowed, as in Compose (`../common.env`
is common): a Compose file is as trusted as a script its user runs. What is
refused is reading what is not a regular file, or more than the size limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import specs
from specs.errors import SpecError
from tests.support import hostile_compose, spec_cases
from tests.support.parameters import marked_slow

CASES = hostile_compose.corpus_cases()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) + len(hostile_compose.GENERATED) >= 100
    duplicates = {case.name for case in CASES} & {
        case.name for case in spec_cases.cases(spec_cases.INVALID)
    }
    assert not duplicates


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_file_gives_its_error_and_changes_nothing(
    case: spec_cases.Case, tmp_path: Path
) -> None:
    expected = (case.directory / hostile_compose.ERROR).read_text().strip()
    staged = hostile_compose.stage(case.directory, tmp_path, case.name)
    before = hostile_compose.fingerprint(tmp_path)
    error = hostile_compose.error_in(staged, tmp_path)
    assert error == expected
    assert "\n" not in error
    assert hostile_compose.fingerprint(tmp_path) == before


@pytest.mark.parametrize("name", marked_slow(hostile_compose.GENERATED))
def test_generated_hostile_input_is_bounded(name: str, tmp_path: Path) -> None:
    generated = hostile_compose.GENERATED[name]
    staged = hostile_compose.stage(None, tmp_path, name)
    generated.make(staged)
    before = hostile_compose.fingerprint(tmp_path)
    assert hostile_compose.error_in_child(staged, tmp_path) == generated.expected
    assert hostile_compose.fingerprint(tmp_path) == before


def test_files_outside_the_project_directory_are_read_as_compose_does(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "common.env").write_text("FROM_OUTSIDE=yes\n")
    (shared / "base.yaml").write_text("services:\n  base:\n    image: busybox\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(
        "services:\n  app:\n    extends:\n      file: ../shared/base.yaml\n      service: base\n"
        "    env_file: ../shared/common.env\n    volumes: ['../shared:/shared:ro']\n"
    )
    loaded = specs.load([project / "compose.yaml"], env={})
    app = loaded.services["app"]
    assert app.environment["FROM_OUTSIDE"] == "yes"
    assert app.volumes[0].source == str(shared)


def test_a_config_file_that_is_a_device_is_not_read(tmp_path: Path) -> None:
    # A config or secret may be a directory (it is bind-mounted); a device is never read to
    # hash it: the load finishes at once instead of reading /dev/zero forever.
    (tmp_path / "compose.yaml").write_text(
        "services:\n  app:\n    image: busybox\n    configs: [c]\n"
        "configs:\n  c:\n    file: /dev/zero\n"
    )
    loaded = specs.load([tmp_path / "compose.yaml"], env={})
    assert loaded.services["app"].content_digest


def test_error_lines_are_one_line_and_short() -> None:
    error = SpecError("x" * 100_000 + " is bad\nsecond line\x1b[31m")
    assert "\n" not in str(error) and "\x1b" not in str(error)
    assert len(str(error)) < 200
