"""The systemd unit that runs `pycompose system restore` at boot.

With no daemon, nothing brings containers back after a reboot; this one-shot
unit does, once the network is up, and `system install-unit` writes it. It
names the engine root explicitly, so a unit made for a non-default root
restores that root.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from orchestrator.errors import OrchestratorError

DEFAULT_DIRECTORY = Path("/etc/systemd/system")


def unit_name(root: str | None) -> str:
    """`pycompose-restore.service`, or one named after the instance for another root."""
    if root is None:
        return "pycompose-restore.service"
    from runtime.store import Layout

    return f"{Layout.from_env(root).instance_name}-restore.service"


def render_unit(executable: str, root: str) -> str:
    """The unit's text: a one-shot service after the network, wanted by multi-user.target."""
    command = shlex.join([executable, "--root", root, "system", "restore"])
    return (
        "[Unit]\n"
        "Description=Restore pycompose containers after boot\n"
        "Documentation=man:pycompose(1)\n"
        "Wants=network-online.target\n"
        "After=network-online.target local-fs.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        f"ExecStart={command}\n"
        # The containers' monitors must outlive this unit's main process.
        "KillMode=process\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def pycompose_executable() -> str:
    """The `pycompose` command this process runs as (next to its interpreter)."""
    candidate = Path(sys.executable).parent / "pycompose"
    if candidate.is_file():
        return str(candidate)
    found = Path(sys.argv[0]).resolve()
    if found.name == "pycompose" and found.is_file():
        return str(found)
    raise OrchestratorError(
        "cannot find the pycompose command to run at boot: install pycompose or run "
        "install-unit through its `pycompose` command"
    )


def install_unit(directory: Path, executable: str, root: str, name: str) -> Path:
    """Write the unit into `directory` (atomically); return its path."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        partial = directory / f".{name}.partial"
        partial.write_text(render_unit(executable, root))
        os.chmod(partial, 0o644)
        os.rename(partial, path)
    except OSError as exc:
        raise OrchestratorError(
            f"cannot write the unit into {directory}: {exc.strerror} (run as root, or give --dir)"
        ) from None
    return path
