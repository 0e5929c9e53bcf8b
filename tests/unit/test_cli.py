"""The command line's skeleton: version, help, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYCOMPOSE, *args], capture_output=True, text=True, check=False)


def test_version_flag_and_verb() -> None:
    flag = run("--version")
    verb = run("version")
    assert flag.returncode == 0
    assert flag.stdout.startswith("pycompose version ")
    assert verb.stdout == flag.stdout


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "version" in result.stdout


def test_unknown_command_is_usage_error() -> None:
    result = run("no-such-verb")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
