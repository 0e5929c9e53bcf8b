"""Scratch entries under `<root>/tmp`: named after the process writing them, so what a
killed process left can be told from what a live one is still writing.

    tempfile.mkstemp(dir=layout.tmp, prefix=scratch_prefix("blob"))   # blob-<pid>-xxxx
    sweep_scratch(layout)          # removes entries whose writer is gone

A writer renames its entry into place or deletes it when done; an entry whose
process no longer exists was left by a crash (SIGKILL, power loss) and goes at
the next sweep. Entries named otherwise (a running build's workspace) are not
scratch and are left alone.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from runtime.store.layout import Layout

SCRATCH_RE = re.compile(r"^[a-z]+-(\d+)-")


def scratch_prefix(kind: str) -> str:
    """The name prefix of a scratch entry of this process (`kind` in lower-case letters)."""
    return f"{kind}-{os.getpid()}-"


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned_scratch(layout: Layout) -> list[Path]:
    """Scratch entries whose writing process is gone."""
    if not layout.tmp.is_dir():
        return []
    found = []
    for entry in sorted(layout.tmp.iterdir()):
        match = SCRATCH_RE.match(entry.name)
        if match and not _writer_alive(int(match.group(1))):
            found.append(entry)
    return found


def sweep_scratch(layout: Layout) -> list[Path]:
    """Remove the scratch entries of processes that are gone; what was removed."""
    removed = []
    for entry in abandoned_scratch(layout):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed
