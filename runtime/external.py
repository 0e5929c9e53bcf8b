"""The one way the engine runs external programs: logged, checked, with a clear error."""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from runtime.errors import CommandError

log = logging.getLogger(__name__)


def require_program(name: str, package: str | None = None) -> str:
    """Return the full path of `name`, or raise saying which package provides it."""
    path = shutil.which(name)
    if path is None:
        hint = f" (install the Debian package '{package or name}')"
        raise CommandError(f"{name} is not installed{hint}")
    return path


def run_command(
    argv: Sequence[str],
    *,
    what: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv`; on failure raise CommandError naming `what` and the program's last words."""
    log.debug("running: %s", shlex.join(argv))
    try:
        result = subprocess.run(
            list(argv),
            input=input,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=timeout,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            check=False,
        )
    except FileNotFoundError as exc:
        raise CommandError(f"{what}: {argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{what}: {argv[0]} did not finish within {timeout} s") from exc
    if result.returncode != 0:
        tail = (result.stderr or b"").decode(errors="replace").strip().splitlines()[-5:]
        detail = ("\n  " + "\n  ".join(tail)) if tail else ""
        raise CommandError(f"{what}: {shlex.join(argv)} exited with {result.returncode}{detail}")
    return result
