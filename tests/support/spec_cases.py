"""The spec corpus: valid Compose projects with their expected output, broken ones with their error.

    tests/specs/valid/<case>/     compose file(s), .env, env files...; `expected.yaml` is what
                                  `pycompose config` prints, the case directory written <case>
    tests/specs/invalid/<case>/   compose file(s); `error.txt` is the exact error line

A case may have a `case.yaml` with `files`, `env`, `profiles`, `project_name`, `env_files`
and `working_dir` (what the command line would pass); without one, files are found by
discovery and the environment is empty. Loads run in the case directory.

Regenerate the expected files (then review every change by hand; they are the spec):

    python -m tests.support.spec_cases [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import specs
from specs.errors import SpecError
from specs.model import Project
from specs.rendering import to_compose, to_json, to_yaml

CORPUS = Path(__file__).resolve().parents[1] / "specs"
VALID = CORPUS / "valid"
INVALID = CORPUS / "invalid"
PLACEHOLDER = "<case>"
EXPECTED = "expected.yaml"
ERROR = "error.txt"


@dataclass
class Case:
    """One directory of the corpus and how to load it."""

    directory: Path
    files: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    profiles: list[str] | None = None
    project_name: str | None = None
    env_files: list[str] | None = None
    working_dir: str | None = None

    @property
    def name(self) -> str:
        return self.directory.name


def cases(kind: Path) -> list[Case]:
    """Every case of a kind (VALID or INVALID), sorted by name."""
    return [read_case(path) for path in sorted(kind.iterdir()) if path.is_dir()]


def read_case(directory: Path) -> Case:
    settings_file = directory / "case.yaml"
    settings: dict[str, Any] = {}
    if settings_file.is_file():
        settings = yaml.safe_load(settings_file.read_text()) or {}
    env = {key: str(value) for key, value in (settings.get("env") or {}).items()}
    return Case(
        directory=directory,
        files=list(settings.get("files") or []),
        env=env,
        profiles=settings.get("profiles"),
        project_name=settings.get("project_name"),
        env_files=settings.get("env_files"),
        working_dir=settings.get("working_dir"),
    )


@contextmanager
def inside(directory: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def load(case: Case, env: dict[str, str] | None = None) -> Project:
    """Load a case the way `pycompose config` would, in its directory."""
    with inside(case.directory):
        return specs.load(
            case.files,
            env=case.env if env is None else env,
            profiles=case.profiles,
            project_name=case.project_name,
            env_files=case.env_files,
            working_dir=case.working_dir,
        )


def machine_independent(text: str, case: Case) -> str:
    return text.replace(str(case.directory), PLACEHOLDER)


def rendered(case: Case, *, json: bool = False) -> str:
    """What `pycompose config` prints for a valid case, the case directory as <case>."""
    document = to_compose(load(case))
    return machine_independent(to_json(document) if json else to_yaml(document), case)


def error_of(case: Case) -> str:
    """The error line an invalid case gives ("no error" if it loads)."""
    try:
        load(case)
    except SpecError as exc:
        return machine_independent(str(exc), case)
    return "no error"


def regenerate(only: list[str]) -> None:
    for case in cases(VALID):
        if not only or case.name in only:
            (case.directory / EXPECTED).write_text(rendered(case))
    for case in cases(INVALID):
        if not only or case.name in only:
            (case.directory / ERROR).write_text(error_of(case) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the spec corpus' expected files.")
    parser.add_argument("--only", nargs="*", default=[], help="case names to regenerate")
    regenerate(parser.parse_args().only)


if __name__ == "__main__":
    main()
