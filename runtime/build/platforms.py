"""Platforms (`linux/amd64`, `linux/arm/v7`): the host's, and parsing a `--platform` value.

Spelled and normalised as containerd does, so `x86_64` is `amd64` and
`aarch64` is `arm64`; these values feed TARGETPLATFORM and friends.
"""

from __future__ import annotations

import platform as host
from dataclasses import dataclass

from runtime.build.gotext import quote

_KNOWN_OS = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ]
)
_KNOWN_ARCH = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "ppc64",
        "ppc64le",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ]
)


class PlatformError(ValueError):
    """A platform specifier that names no known operating system or architecture."""


@dataclass(frozen=True)
class Platform:
    """An OS, an architecture and an optional variant."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


def _normalize(architecture: str, variant: str) -> tuple[str, str]:
    architecture, variant = architecture.lower(), variant.lower()
    if architecture in ("i386",):
        return "386", ""
    if architecture in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if architecture in ("aarch64", "arm64"):
        return "arm64", "" if variant in ("8", "v8", "v8.0") else variant
    if architecture == "armhf":
        return "arm", "v7"
    if architecture == "armel":
        return "arm", "v6"
    if architecture == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        if variant in ("5", "6", "8"):
            return "arm", "v" + variant
    return architecture, variant


def host_platform() -> Platform:
    """The platform of this machine."""
    architecture, variant = _normalize(host.machine(), "")
    if host.machine().lower().startswith("armv6"):
        architecture, variant = "arm", "v6"
    elif host.machine().lower().startswith("armv7"):
        architecture, variant = "arm", "v7"
    return Platform("linux", architecture, variant)


def parse_platform(specifier: str, default: Platform | None = None) -> Platform:
    """`os[/arch[/variant]]` or a bare architecture, normalised; raises PlatformError."""
    default = default or host_platform()
    unknown = PlatformError(
        f"{quote(specifier)}: unknown operating system or architecture: invalid argument"
    )
    parts = specifier.lower().split("/")
    if not specifier or any(not part for part in parts) or len(parts) > 3:
        raise unknown
    if len(parts) == 1:
        name = parts[0]
        if name in _KNOWN_OS:
            return Platform(name, default.architecture, default.variant)
        architecture, variant = _normalize(name, "")
        if architecture in _KNOWN_ARCH:
            return Platform(default.os, architecture, variant)
        raise unknown
    os_name = parts[0]
    architecture, variant = _normalize(parts[1], parts[2] if len(parts) == 3 else "")
    if os_name not in _KNOWN_OS or architecture not in _KNOWN_ARCH:
        raise unknown
    return Platform(os_name, architecture, variant)
