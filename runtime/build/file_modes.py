"""Owners and permissions of what COPY, ADD and WORKDIR create: `--chown` and `--chmod`.

`--chown` takes `user[:group]`, names or numbers; names are looked up in the
destination image's /etc/passwd and /etc/group (read confined to its root).
As BuildKit does it: a user name brings its primary group, a bare number is
used for both uid and gid. `--chmod` is octal (`0755`) or symbolic
(`u+x,g-w,o=r`, with `X` meaning "execute if a directory or already
executable for someone"), applied to each copied file and directory.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path

from runtime.build.errors import BuildError
from runtime.linux.users import UserError, resolve_user

_CLAUSE = re.compile(r"([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)\Z")
_ACTION = re.compile(r"([-+=])([ugo]|[rwxXst]*)")
_WHO_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007}
_PERMISSION_BITS = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


@dataclass(frozen=True)
class Owner:
    """A numeric owner."""

    uid: int
    gid: int


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def resolve_owner(root: Path, spec: str) -> Owner | None:
    """The owner `--chown=spec` (or a USER for WORKDIR) names inside `root`; None for empty."""
    spec = spec.strip()
    if not spec:
        return None
    user, _, group = spec.partition(":")
    try:
        uid = _number(user)
        gid = uid
        if uid is None:
            found = resolve_user(root, user)
            uid, gid = found.uid, found.gid
        if group:
            number = _number(group)
            gid = number if number is not None else resolve_user(root, f"0:{group}").gid
    except UserError as error:
        raise BuildError(
            f"unable to convert uid/gid chown string to host mapping: {error}"
        ) from None
    assert uid is not None and gid is not None
    return Owner(uid, gid)


@dataclass(frozen=True)
class ModeChange:
    """A `--chmod` value: an octal mode, or symbolic clauses applied to each file's mode."""

    octal: int | None = None
    symbolic: tuple[tuple[str, str, str], ...] = ()

    def apply(self, mode: int, is_dir: bool) -> int:
        """The permission bits a file (or directory) with `mode` gets."""
        if self.octal is not None:
            return self.octal
        bits = stat.S_IMODE(mode)
        for who, operator, permissions in self.symbolic:
            bits = _apply_clause(bits, who, operator, permissions, is_dir)
        return bits


def parse_mode_change(text: str) -> ModeChange | None:
    """Parse `--chmod`; None when empty. BuildError for what is neither octal nor symbolic."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[0-7]{1,5}", text):
        value = int(text, 8)
        if value <= 0o7777:
            return ModeChange(octal=value)
    clauses = []
    for clause in text.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            raise BuildError(f"invalid chmod parameter: '{text}'")
        who = match.group(1) or "a"
        for operator, permissions in _ACTION.findall(match.group(2)):
            clauses.append((who, operator, permissions))
    return ModeChange(symbolic=tuple(clauses))


def _apply_clause(bits: int, who: str, operator: str, permissions: str, is_dir: bool) -> int:
    mask = 0
    for person in "ugo" if "a" in who else who:
        mask |= _WHO_BITS[person]
    if permissions in ("u", "g", "o"):
        # Copy another class's permissions (`g=u`).
        shift = {"u": 6, "g": 3, "o": 0}[permissions]
        source = (bits >> shift) & 0o7
        value = (source << 6) | (source << 3) | source
    else:
        value = 0
        for letter in permissions:
            if letter == "X":
                if is_dir or bits & 0o111:
                    value |= 0o111
            else:
                value |= _PERMISSION_BITS[letter]
    value &= mask
    if operator == "+":
        return bits | value
    if operator == "-":
        return bits & ~value
    keep = mask & ~(0o6000 if is_dir else 0)  # `=` keeps a directory's setuid/setgid bits
    return (bits & ~keep) | value
