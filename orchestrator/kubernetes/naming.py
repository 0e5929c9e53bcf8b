"""Names Kubernetes accepts: DNS labels for objects, containers, volumes and ports.

Compose names allow `_`, `.` and capitals; Kubernetes object names do not. A
name is lowered and every run of other characters becomes one `-`, so `my_db`
is `my-db`. `NameAllocator` hands out unique names inside one Pod.
"""

from __future__ import annotations

import re

from orchestrator.kubernetes.errors import KubernetesError

MAX_LABEL = 63
MAX_PORT_NAME = 15
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def dns_label(text: str, *, what: str = "name") -> str:
    """`text` as a DNS-1035 label (lowercase letters, digits, `-`; a letter first; <= 63)."""
    label = _NOT_LABEL.sub("-", text.lower()).strip("-")
    if label and not label[0].isalpha():
        label = f"x-{label}"
    label = label[:MAX_LABEL].rstrip("-")
    if not label:
        raise KubernetesError(f'{what} "{text}" has nothing left to name a Kubernetes object with')
    return label


def is_dns_label(text: str) -> bool:
    """True when `text` is already a DNS-1035 label."""
    return len(text) <= MAX_LABEL and bool(_LABEL.match(text))


def config_key(text: str) -> str:
    """`text` as a key of a ConfigMap or Secret (letters, digits, `-`, `_`, `.`)."""
    if _CONFIG_KEY.match(text):
        return text
    return re.sub(r"[^-._a-zA-Z0-9]+", "-", text).strip("-") or "content"


def port_name(protocol: str, number: int) -> str:
    """A Service or container port name: `tcp-8080` (at most 15 characters)."""
    return f"{protocol.lower()}-{number}"[:MAX_PORT_NAME]


class NameAllocator:
    """Unique names in one namespace of names (the volumes of a Pod): `data`, `data-2`..."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, preferred: str) -> str:
        """A free name as close to `preferred` as possible; it is then taken."""
        base = dns_label(preferred)
        name, number = base, 1
        while name in self._taken:
            number += 1
            suffix = f"-{number}"
            name = base[: MAX_LABEL - len(suffix)].rstrip("-") + suffix
        self._taken.add(name)
        return name
