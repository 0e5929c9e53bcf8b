"""Hostile Compose projects: the corpus on disk, the generated ones, and how to run each safely.

    tests/hostile/compose/<case>/   compose file(s) and their files, `error.txt` the exact
                                    error line (`no error` for input that must load), an
                                    optional `case.yaml` as in the spec corpus

Cases too big or too strange to keep in git (10 MB values, deep nesting, FIFOs,
long extends and include chains) are made by `GENERATED` at test time. Each
case is copied into a scratch tree next to a canary directory and loaded
there; `<case>` stands for the case directory and `<tree>` for the scratch
tree in the expected lines. Regenerate the expected lines (then review every
change by hand):

    python -m tests.support.hostile_compose [--only NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support import spec_cases

CORPUS = Path(__file__).resolve().parents[1] / "hostile" / "compose"
ERROR = "error.txt"
SERVICE = "services:\n  app:\n    image: busybox\n"
# The load of one generated case runs in a child with at most this much address space.
MEMORY_LIMIT = 1 << 30


@dataclass(frozen=True)
class Generated:
    """A case made at test time: `make(directory)` writes it; `expected` is its error line."""

    make: Callable[[Path], None]
    expected: str
    slow: bool = False


def _write(directory: Path, text: str, name: str = "compose.yaml") -> None:
    (directory / name).write_text(text)


def _nested_mapping(depth: int) -> str:
    lines = ["x-deep:"] + [f"{'  ' * (level + 1)}k{level}:" for level in range(depth)]
    return "\n".join(lines) + " leaf\n" + SERVICE


def _extends_chain(directory: Path, length: int) -> None:
    services = "".join(f"  s{i}:\n    extends: s{i + 1}\n" for i in range(length))
    _write(directory, f"services:\n{services}  s{length}:\n    image: busybox\n")


def _include_chain(directory: Path, length: int) -> None:
    for i in range(length):
        _write(directory, f"include:\n  - f{i + 1}.yaml\nservices: {{}}\n", f"f{i}.yaml")
    _write(directory, SERVICE, f"f{length}.yaml")
    _write(directory, "include:\n  - f0.yaml\n")


def _env_fifo(directory: Path) -> None:
    os.mkfifo(directory / "app.env")
    _write(directory, SERVICE + "    env_file: app.env\n")


def _big_env_file(directory: Path) -> None:
    _write(directory, f"BIG={'e' * 10_000_000}\n", "app.env")
    _write(directory, SERVICE + "    env_file: app.env\n")


def _wide_aliases(directory: Path, count: int) -> None:
    _write(directory, "x-a: &a x\nx-b: [" + ", ".join(["*a"] * count) + "]\n" + SERVICE)


TEN_MB = 10_000_000
GENERATED: dict[str, Generated] = {
    "string-10mb-command": Generated(
        lambda d: _write(d, SERVICE + f'    command: "echo {"a" * TEN_MB}"\n'), "no error"
    ),
    "string-10mb-environment-value": Generated(
        lambda d: _write(d, SERVICE + f"    environment:\n      BIG: {'b' * TEN_MB}\n"), "no error"
    ),
    "string-10mb-hostname": Generated(
        lambda d: _write(d, SERVICE + f"    hostname: {'h' * TEN_MB}\n"),
        'compose.yaml:4:15: services.app.hostname: "'
        + "h" * 79
        + '…" (10000002 characters) is not a host name (letters, digits, "-", "_" and ".", '
        "at most 64 characters)",
    ),
    "string-10mb-unterminated-quote": Generated(
        lambda d: _write(d, SERVICE + f'    command: "sh -c \'echo {"q" * TEN_MB}"\n'),
        "compose.yaml:4:14: services.app.command: \"sh -c 'echo "
        + "q" * 80
        + '…" (10000001 characters) has an unterminated quote',
    ),
    "string-10mb-key": Generated(
        lambda d: _write(d, SERVICE + f"    labels:\n      {'k' * TEN_MB}: v\n"),
        "compose.yaml:5:10000007: invalid YAML: mapping values are not allowed in this context",
        slow=True,
    ),
    "string-10mb-env-file-line": Generated(_big_env_file, "no error", slow=True),
    "file-over-the-size-limit": Generated(
        lambda d: _write(d, SERVICE + "#" + "x" * (33 << 20) + "\n"),
        "compose.yaml: is larger than 32 MiB, the limit for this file",
        slow=True,
    ),
    "nesting-100-mapping-levels": Generated(
        lambda d: _write(d, _nested_mapping(100)),
        "compose.yaml:66:131: values nest more than 64 levels deep",
    ),
    "nesting-100k-flow-levels": Generated(
        lambda d: _write(d, SERVICE + "    labels: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        "compose.yaml:4:1010: invalid YAML: exceeded maximum nesting depth "
        "(while increasing flow level at line 4, column 1010)",
    ),
    "chain-100-extends": Generated(
        lambda d: _extends_chain(d, 100),
        "compose.yaml:131:14: services.s64.extends: extends chains more than 64 services deep",
    ),
    "chain-40-includes": Generated(
        lambda d: _include_chain(d, 40),
        "f30.yaml:2:5: include[0].path: includes nest more than 32 files deep",
    ),
    "env-file-is-a-fifo": Generated(
        _env_fifo,
        "compose.yaml:4:15: services.app.env_file[0]: app.env: is not a regular file "
        "(a device, FIFO or socket cannot be read as one)",
    ),
    "aliases-1m-of-one-scalar": Generated(
        lambda d: _wide_aliases(d, 1_000_001),
        "compose.yaml:2:6: the document expands to more than 1000000 values through aliases",
        slow=True,
    ),
    "services-5000": Generated(
        lambda d: _write(
            d, "services:\n" + "".join(f"  s{i}:\n    image: busybox\n" for i in range(5000))
        ),
        "no error",
    ),
}


def corpus_cases() -> list[spec_cases.Case]:
    """Every case directory of the corpus, sorted by name."""
    return spec_cases.cases(CORPUS)


def stage(source: Path | None, tree: Path, name: str) -> Path:
    """Copy a case (or make an empty one) under `tree/cases`, with a canary beside it."""
    outside = tree / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "canary").write_text("canary\n")
    target = tree / "cases" / name
    if source is None:
        target.mkdir(parents=True)
    else:
        shutil.copytree(source, target, symlinks=True)
        (target / ERROR).unlink(missing_ok=True)
    return target


def fingerprint(tree: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under `tree`: mode, size, and a digest of regular files' content."""
    found: dict[str, tuple[int, int, str]] = {}
    for directory, dirs, files in os.walk(tree):
        for name in dirs + files:
            path = Path(directory) / name
            info = path.lstat()
            digest = ""
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            found[str(path.relative_to(tree))] = (info.st_mode, info.st_size, digest)
    return found


def error_in(directory: Path, tree: Path) -> str:
    """The error line loading the staged case at `directory` gives, machine independent."""
    case = spec_cases.read_case(directory)
    return _placeholders(spec_cases.error_of(case), directory, tree)


def _placeholders(text: str, directory: Path, tree: Path) -> str:
    return text.replace(str(directory), "<case>").replace(str(tree), "<tree>")


def error_in_child(directory: Path, tree: Path, timeout: float = 120) -> str:
    """The same as `error_in`, from a child process with limited memory and time."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
        "from pathlib import Path\n"
        "from tests.support.hostile_compose import error_in\n"
        "print(error_in(Path(sys.argv[1]), Path(sys.argv[2])))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, str(directory), str(tree)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.rstrip("\n")


def regenerate(only: list[str], scratch: Path) -> None:
    for case in corpus_cases():
        if only and case.name not in only:
            continue
        tree = scratch / case.name
        staged = stage(case.directory, tree, case.name)
        (case.directory / ERROR).write_text(error_in(staged, tree) + "\n")


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description="Regenerate the hostile corpus' error lines.")
    parser.add_argument("--only", nargs="*", default=[], help="case names to regenerate")
    with tempfile.TemporaryDirectory() as scratch:
        regenerate(parser.parse_args().only, Path(scratch))


if __name__ == "__main__":
    main()
