"""IPv4 forwarding, turned on per interface rather than for the whole host.

Linux decides whether to forward a packet by the `forwarding` setting of the
interface it came in on. Bridges get it (containers' egress, hairpin). The
host's other interfaces need it too, for replies to masqueraded egress and for
published ports reached from other hosts; the engine turns it on where it was
off, remembers the old value, lists those interfaces in the nftables table's
`guarded` set (which forwards nothing from them but to pycompose bridges), and
puts the old values back when the last user goes.

The record is per network namespace and shared by every engine root, so two
roots in one namespace neither fight nor undo each other.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from runtime.network import links
from runtime.network.nftables import BRIDGE_PREFIX
from runtime.store.layout import DEFAULT_RUN_ROOT
from runtime.store.locks import FileLock

STATE_DIR = Path(DEFAULT_RUN_ROOT) / "forwarding"
VETH_PREFIX = "pcv"


SO_NETNS_COOKIE = 71


def record_path() -> Path:
    """This network namespace's record, named by its cookie.

    The kernel never reuses a namespace cookie before reboot, unlike the
    namespace file's inode number: a record left by a namespace that died is
    never mistaken for the record of a new one.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        cookie = int.from_bytes(probe.getsockopt(socket.SOL_SOCKET, SO_NETNS_COOKIE, 8), "little")
    return STATE_DIR / f"netns-{cookie}.json"


def _load(path: Path) -> tuple[set[str], dict[str, str]]:
    """The roots using forwarding here, and the interfaces' values before it was turned on."""
    try:
        data = json.loads(path.read_text())
        return set(data["users"]), {str(k): str(v) for k, v in data["previous"].items()}
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return set(), {}


def _save(path: Path, users: set[str], previous: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"users": sorted(users), "previous": previous}, sort_keys=True))
    os.replace(tmp, path)


def _is_ours(ifname: str) -> bool:
    return ifname.startswith((BRIDGE_PREFIX, VETH_PREFIX))


def uses(user: str) -> bool:
    """Whether this namespace's record counts `user` among the roots using forwarding."""
    users, _ = _load(record_path())
    return user in users


def enable(user: str) -> list[str]:
    """Turn forwarding on for every interface here; return those it was off for (guarded)."""
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_suffix(".lock"), description="the forwarding record"):
        users, previous = _load(path)
        users.add(user)
        for ifname in links.link_names():
            if ifname == "lo" or _is_ours(ifname) or ifname in previous:
                continue
            old = links.set_interface_sysctl(ifname, "forwarding", "1")
            if old is not None and old != "1":
                previous[ifname] = old
        present = set(links.link_names())
        previous = {name: value for name, value in previous.items() if name in present}
        _save(path, users, previous)
        return sorted(previous)


def release(user: str) -> None:
    """Drop `user`; when no user is left, put every interface's forwarding back."""
    path = record_path()
    if not path.exists():
        return
    with FileLock(path.with_suffix(".lock"), description="the forwarding record"):
        users, previous = _load(path)
        users.discard(user)
        if users:
            _save(path, users, previous)
            return
        for ifname, value in previous.items():
            links.set_interface_sysctl(ifname, "forwarding", value)
        path.unlink()
    try:
        path.with_suffix(".lock").unlink()
        path.parent.rmdir()
    except OSError:
        pass  # gone already, or another namespace's record is still there
