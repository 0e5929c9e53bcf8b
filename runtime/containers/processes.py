"""The OCI process of an `exec` (or a healthcheck probe): the container's own, with changes.

It starts from the bundle's `process` (user, capabilities, rlimits,
environment, working dir, no_new_privileges, apparmor/selinux labels) and
takes the command, `-u`, `-w`, `-e`, `-t` and `--privileged` of the request.
Standard library only (monitor helpers build probes with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from runtime.errors import EngineError
from runtime.linux.capabilities import CAPABILITIES, last_capability
from runtime.linux.users import resolve_user
from runtime.oci.spec import Capabilities, Process, User, load_spec


def exec_process(
    bundle: str | Path,
    args: Sequence[str],
    *,
    user: str | None = None,
    workdir: str | None = None,
    env: Mapping[str, str] | None = None,
    tty: bool = False,
    privileged: bool = False,
) -> Process:
    """The process to start in the container of `bundle` for `args`."""
    if not args:
        raise EngineError("exec needs a command")
    spec = load_spec(Path(bundle))
    if spec.process is None:
        raise EngineError(f"bundle {bundle} has no process")
    process = Process.from_dict(spec.process.to_dict())
    process.args = list(args)
    process.terminal = tty
    if user:
        resolved = resolve_user(spec.rootfs_path(Path(bundle)), user, ())
        process.user = User(
            uid=resolved.uid, gid=resolved.gid, additional_gids=list(resolved.additional_gids)
        )
    if workdir:
        process.cwd = workdir
    merged: dict[str, str] = {}
    for item in process.env:
        key, _, value = item.partition("=")
        merged[key] = value
    if tty:
        merged.setdefault("TERM", "xterm")
    merged.update(env or {})
    process.env = [f"{key}={value}" for key, value in merged.items()]
    if privileged:
        every = list(CAPABILITIES[: last_capability() + 1])
        process.capabilities = Capabilities(
            bounding=every, effective=every, permitted=every, inheritable=[], ambient=[]
        )
    return process
