"""Users and groups as an image defines them: `user[:group]` resolved in its /etc files.

The files are read from inside the container's root through the confined
resolver, so a symlinked /etc/passwd in an image cannot point at the host's.
Like Docker: numeric ids need no entry; a name must exist; the process gets
the user's primary group and every group of /etc/group that lists the user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import EngineError, SyscallError
from runtime.linux.securepath import open_in_root

MAX_FILE = 4 * 1024 * 1024


class UserError(EngineError):
    """A user or group of a run request does not exist in the image."""


@dataclass(frozen=True)
class ResolvedUser:
    """The ids a process runs with, and the user's home for HOME."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...] = field(default=())
    home: str = "/"


def _read_in_root(root: Path, path: str) -> list[list[str]]:
    try:
        root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise UserError(f"cannot open the root filesystem {root}: {exc.strerror}") from None
    try:
        fd = open_in_root(root_fd, path, os.O_RDONLY)
    except SyscallError:
        return []
    finally:
        os.close(root_fd)
    with os.fdopen(fd, "rb") as handle:
        text = handle.read(MAX_FILE).decode(errors="replace")
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(
    root: str | os.PathLike[str], user: str | None, extra_groups: tuple[str, ...] = ()
) -> ResolvedUser:
    """Resolve Docker's `user` (name|uid[:group|gid]) and `group_add` inside `root`."""
    root_path = Path(root)
    spec = (user or "").strip()
    name_part, _, group_part = spec.partition(":")
    passwd = _read_in_root(root_path, "/etc/passwd")
    groups = _read_in_root(root_path, "/etc/group")
    uid, gid, home, login = 0, 0, "/root", "root"
    if name_part:
        entry = next((e for e in passwd if len(e) >= 6 and e[0] == name_part), None)
        if entry is None and name_part.isdigit():
            entry = next((e for e in passwd if len(e) >= 6 and e[2] == name_part), None)
            uid, gid, home, login = int(name_part), 0, "/", ""
        if entry is not None:
            try:
                uid, gid, home, login = int(entry[2]), int(entry[3]), entry[5] or "/", entry[0]
            except ValueError:
                raise UserError(f"malformed /etc/passwd entry for {entry[0]!r}") from None
        elif not name_part.isdigit():
            raise UserError(f"unable to find user {name_part}: no matching entries in passwd file")
    elif passwd:
        root_entry = next((e for e in passwd if len(e) >= 6 and e[2] == "0"), None)
        home = root_entry[5] if root_entry else "/root"
    if group_part:
        gid = _group_id(groups, group_part)
    supplementary = [
        int(e[2])
        for e in groups
        if len(e) >= 4 and login and login in e[3].split(",") and e[2].isdigit()
    ]
    supplementary += [_group_id(groups, g) for g in extra_groups]
    additional = tuple(dict.fromkeys(g for g in [gid, *supplementary]))
    return ResolvedUser(uid=uid, gid=gid, additional_gids=additional, home=home)


def _group_id(groups: list[list[str]], name: str) -> int:
    entry = next((e for e in groups if len(e) >= 3 and e[0] == name), None)
    if entry is not None and entry[2].isdigit():
        return int(entry[2])
    if name.isdigit():
        return int(name)
    raise UserError(f"unable to find group {name}: no matching entries in group file")
