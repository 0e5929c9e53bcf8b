"""Running the `pycompose` command as a user does, from a project directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


def run_in(
    directory: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`pycompose ARGS` in `directory`, with a bare environment (PATH, HOME=directory) plus `env`."""
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(directory), **(env or {})}
    return subprocess.run(
        [PYCOMPOSE, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
