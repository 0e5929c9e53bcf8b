"""Golden cases of the Kubernetes conversion: a project, and the manifests it must give.

    tests/kubernetes/<case>/   compose.yaml (and what it reads); `case.yaml` as for the spec
                               corpus, plus `allow_hostpath: true`; `expected.yaml` is the
                               manifest stream, `warnings.txt` the warnings, one a line, the
                               case directory written <case>

Regenerate (then review every change by hand; they are the spec):

    python -m tests.support.kubernetes_cases [--only NAME ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from orchestrator.kubernetes import Conversion, ConversionOptions, convert
from orchestrator.kubernetes.documents import to_stream
from tests.support import spec_cases

CASES = Path(__file__).resolve().parents[1] / "kubernetes"
EXPECTED = "expected.yaml"
WARNINGS = "warnings.txt"


def case_directories() -> list[Path]:
    """Every golden case, sorted by name."""
    return sorted(path for path in CASES.iterdir() if path.is_dir())


def conversion_of(directory: Path) -> Conversion:
    """Convert a case the way `pycompose convert --to kubernetes` would, in its directory."""
    case = spec_cases.read_case(directory)
    settings_file = directory / "case.yaml"
    settings = yaml.safe_load(settings_file.read_text()) if settings_file.is_file() else {}
    options = ConversionOptions(allow_hostpath=bool((settings or {}).get("allow_hostpath")))
    return convert(spec_cases.load(case), options)


def rendered(directory: Path) -> tuple[str, str]:
    """The manifest stream and the warnings of a case, the case directory as <case>."""
    conversion = conversion_of(directory)
    case = spec_cases.read_case(directory)
    stream = spec_cases.machine_independent(to_stream(conversion.documents), case)
    warnings = "".join(f"{line}\n" for line in conversion.warnings)
    return stream, spec_cases.machine_independent(warnings, case)


def regenerate(only: list[str]) -> None:
    for directory in case_directories():
        if not only or directory.name in only:
            stream, warnings = rendered(directory)
            (directory / EXPECTED).write_text(stream)
            (directory / WARNINGS).write_text(warnings)


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the Kubernetes golden files.")
    parser.add_argument("--only", nargs="*", default=[], help="case names to regenerate")
    regenerate(parser.parse_args().only)


if __name__ == "__main__":
    main()
