"""Typed scalars of the Project: durations, sizes, file modes, ports, paths, addresses, signals.

Durations are integer nanoseconds and sizes integer bytes (see `specs.units`).
In a Compose file a duration must carry a unit (`10s`): a bare number there is
an error, as in Compose. Code building models directly may pass nanoseconds.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import signal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, ValidationInfo

from specs import units

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
"""Compose (and the Docker API) store numbers as Go int64s: larger ones are refused."""

FROM_FILE = "compose_file"
"""Validation context flag: the data comes from a Compose file, not from code."""


def _from_file(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(FROM_FILE))


def _duration(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a duration ({units.DURATION_EXPECTED})")
    if isinstance(value, int | float) and _from_file(info):
        raise ValueError(f"{value} is not a duration ({units.DURATION_EXPECTED})")
    if isinstance(value, str):
        nanoseconds = units.parse_duration(value)
        if not INT64_MIN <= nanoseconds <= INT64_MAX:
            longest = units.format_duration(INT64_MAX)
            raise ValueError(f'"{value}" is longer than a duration can be (at most {longest})')
        return nanoseconds
    return value


def _size(value: Any) -> Any:
    if isinstance(value, bool | float):
        raise ValueError(f"{value} is not a size ({units.SIZE_EXPECTED})")
    if isinstance(value, str):
        if value.strip() == "-1":
            return -1
        return units.parse_size(value)
    return value


def _mode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value, 8)
        except ValueError:
            raise ValueError(f'"{value}" is not an octal file mode, like 0440') from None
    return value


def _octal(mode: int) -> str:
    return f"0{mode:o}"


def _container_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f'"{value}" is not an absolute path in the container')
    return posixpath.normpath(value).replace("//", "/")


_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$")
HOST_NAME_MAX = 64
"""The kernel's limit (HOST_NAME_MAX) for a host name and a NIS domain name."""


def _host_name(value: str) -> str:
    if len(value) > HOST_NAME_MAX or not _HOST_NAME.match(value):
        raise ValueError(
            f'"{value}" is not a host name (letters, digits, "-", "_" and ".", '
            f"at most {HOST_NAME_MAX} characters)"
        )
    return value


def _word(value: str) -> str:
    # These end up as lines of /etc/hosts or /etc/resolv.conf: a blank would add fields.
    if not value or any(char.isspace() for char in value):
        raise ValueError(f'"{value}" must be one word, without spaces or line breaks')
    return value


def _variable_name(value: str) -> str:
    if not value or "=" in value:
        raise ValueError(f'"{value}" is not a variable name (it is empty or holds "=")')
    return value


def _ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f'"{value}" is not an IPv4 address') from None


def _ipv6(value: str) -> str:
    try:
        return str(ipaddress.IPv6Address(value))
    except ValueError:
        raise ValueError(f'"{value}" is not an IPv6 address') from None


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise ValueError(f'"{value}" is not an IP address') from None


def _subnet(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError(f'"{value}" is not a subnet in CIDR form, like 172.28.0.0/16') from None


_SIGNALS = {member.name for member in signal.Signals if not member.name.startswith("SIG_")}


def _signal(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return signal.Signals(value).name
        except ValueError:
            raise ValueError(f"{value} is not a signal number") from None
    if isinstance(value, str):
        name = value.upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        if name.isdigit() or name[3:].isdigit():
            return _signal(int(name[3:]))
        if (
            name not in _SIGNALS
            and not name.startswith("SIGRTMIN")
            and not name.startswith("SIGRTMAX")
        ):
            raise ValueError(f'"{value}" is not a signal name, like SIGTERM or SIGINT')
        return name
    return value


Duration = Annotated[
    int,
    BeforeValidator(_duration),
    Field(ge=INT64_MIN, le=INT64_MAX),
    PlainSerializer(units.format_duration, return_type=str, when_used="json"),
]
"""A duration in nanoseconds (`1m30s` in a file)."""

ByteSize = Annotated[int, BeforeValidator(_size), Field(ge=0, le=INT64_MAX)]
"""A size in bytes (`512m` in a file)."""

SizeOrUnlimited = Annotated[int, BeforeValidator(_size), Field(ge=-1, le=INT64_MAX)]
"""A size in bytes, or -1 for no limit."""

FileMode = Annotated[
    int,
    BeforeValidator(_mode),
    Field(ge=0, le=0o7777),
    PlainSerializer(_octal, return_type=str, when_used="json"),
]
"""Unix permission bits (`0440` in a file)."""

PortNumber = Annotated[int, Field(ge=1, le=65535)]
"""A TCP/UDP port number."""

ContainerPath = Annotated[str, AfterValidator(_container_path)]
"""An absolute path inside the container, cleaned (`/a/./b/` is `/a/b`)."""

IPv4 = Annotated[str, AfterValidator(_ipv4)]
IPv6 = Annotated[str, AfterValidator(_ipv6)]
IPAddress = Annotated[str, AfterValidator(_ip)]
Subnet = Annotated[str, AfterValidator(_subnet)]

HostName = Annotated[str, AfterValidator(_host_name)]
"""A host or domain name the kernel accepts (`sethostname`)."""

Word = Annotated[str, AfterValidator(_word)]
"""One word: no blanks, which would change the meaning of the file it is written to."""

VariableName = Annotated[str, AfterValidator(_variable_name)]
"""The name of an environment variable: not empty, no `=`."""

Signal = Annotated[str, BeforeValidator(_signal)]
"""A signal name in its `SIGTERM` form (`TERM` and `15` are accepted)."""

NonNegative = Annotated[int, Field(ge=0, le=INT64_MAX)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Cpus = Annotated[float, Field(ge=0, allow_inf_nan=False)]
