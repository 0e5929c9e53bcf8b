"""The OCI runtime-spec model: `config.json` read into typed records and written back.

Only what the runtime acts on is typed; every other key (hooks, annotations of
other tools, platform sections we do not implement) is kept in `extra` and
written back unchanged, so a bundle made by another tool survives a round trip.
Field names are Python's; `_JSON_NAMES` maps them to the spec's camelCase.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from runtime.errors import EngineError

OCI_VERSION = "1.0.2"
T = TypeVar("T")


class SpecFormatError(EngineError):
    """A config.json is missing, unreadable or not a valid OCI runtime spec."""


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_SPECIAL_NAMES = {"oci_version": "ociVersion", "uid_mappings": "uidMappings"}


@dataclass
class _Record:
    """Base of the spec records: camelCase JSON in and out, unknown keys kept."""

    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise SpecFormatError(f"expected an object for {cls.__name__}, got {data!r}")
        hints = _type_hints(cls)
        values: dict[str, Any] = {}
        known: set[str] = set()
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            if item.name == "extra":
                continue
            key = _SPECIAL_NAMES.get(item.name, _json_name(item.name))
            known.add(key)
            if key in data and data[key] is not None:
                values[item.name] = _decode(hints[item.name], data[key])
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name == "extra":
                continue
            value = getattr(self, item.name)
            if value is None or (value in ([], {}) and item.metadata.get("omit_empty", True)):
                continue
            out[_SPECIAL_NAMES.get(item.name, _json_name(item.name))] = _encode(value)
        out.update(self.extra)
        return out


_HINTS: dict[type, dict[str, Any]] = {}


def _type_hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _decode(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value)
    if origin is list:
        if not isinstance(value, list):
            raise SpecFormatError(f"expected a list, got {value!r}")
        return [_decode(args[0], v) for v in value]
    if isinstance(hint, type) and issubclass(hint, _Record):
        return hint.from_dict(value)
    if hint is int and not isinstance(value, int):
        raise SpecFormatError(f"expected an integer, got {value!r}")
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


@dataclass
class User(_Record):
    uid: int = 0
    gid: int = 0
    umask: int | None = None
    additional_gids: list[int] = field(default_factory=list)


@dataclass
class Capabilities(_Record):
    bounding: list[str] = field(default_factory=list)
    effective: list[str] = field(default_factory=list)
    inheritable: list[str] = field(default_factory=list)
    permitted: list[str] = field(default_factory=list)
    ambient: list[str] = field(default_factory=list)


@dataclass
class Rlimit(_Record):
    type: str = ""
    hard: int = 0
    soft: int = 0


@dataclass
class Process(_Record):
    """process: what runs in the container, as whom, with which privileges."""

    args: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    cwd: str = "/"
    terminal: bool = False
    user: User = field(default_factory=User)
    capabilities: Capabilities | None = None
    rlimits: list[Rlimit] = field(default_factory=list)
    no_new_privileges: bool = False
    oom_score_adj: int | None = None
    apparmor_profile: str | None = None
    selinux_label: str | None = None


@dataclass
class Root(_Record):
    path: str = "rootfs"
    readonly: bool = False


@dataclass
class Mount(_Record):
    destination: str = ""
    type: str | None = None
    source: str | None = None
    options: list[str] = field(default_factory=list)


@dataclass
class Namespace(_Record):
    type: str = ""
    path: str | None = None


@dataclass
class Device(_Record):
    """linux.devices: a device node to create in the container's /dev."""

    path: str = ""
    type: str = "c"
    major: int = 0
    minor: int = 0
    file_mode: int | None = None
    uid: int | None = None
    gid: int | None = None


@dataclass
class DeviceRule(_Record):
    """linux.resources.devices: one allow/deny rule of the device controller."""

    allow: bool = False
    type: str | None = None
    major: int | None = None
    minor: int | None = None
    access: str | None = None


@dataclass
class Memory(_Record):
    limit: int | None = None
    reservation: int | None = None
    swap: int | None = None
    swappiness: int | None = None
    disable_oom_killer: bool | None = None


@dataclass
class Cpu(_Record):
    shares: int | None = None
    quota: int | None = None
    period: int | None = None
    cpus: str | None = None
    mems: str | None = None


@dataclass
class Pids(_Record):
    limit: int | None = None


@dataclass
class Resources(_Record):
    devices: list[DeviceRule] = field(default_factory=list)
    memory: Memory | None = None
    cpu: Cpu | None = None
    pids: Pids | None = None
    unified: dict[str, str] = field(default_factory=dict)


@dataclass
class Linux(_Record):
    namespaces: list[Namespace] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    cgroups_path: str | None = None
    resources: Resources | None = None
    rootfs_propagation: str | None = None
    seccomp: dict[str, Any] | None = None
    sysctl: dict[str, str] = field(default_factory=dict)
    masked_paths: list[str] = field(default_factory=list)
    readonly_paths: list[str] = field(default_factory=list)


@dataclass
class Spec(_Record):
    """A whole config.json."""

    oci_version: str = OCI_VERSION
    process: Process | None = None
    root: Root = field(default_factory=Root)
    hostname: str | None = None
    domainname: str | None = None
    mounts: list[Mount] = field(default_factory=list)
    linux: Linux = field(default_factory=Linux)
    annotations: dict[str, str] = field(default_factory=dict)

    def namespace(self, kind: str) -> Namespace | None:
        """The `linux.namespaces` entry of `kind` (e.g. "pid", "network"), if listed."""
        for entry in self.linux.namespaces:
            if entry.type == kind:
                return entry
        return None

    def rootfs_path(self, bundle: str | os.PathLike[str]) -> Path:
        """The host path of the root filesystem (root.path is relative to the bundle)."""
        return (Path(bundle) / self.root.path).resolve()


def load_spec(bundle: str | os.PathLike[str]) -> Spec:
    """Read and check `<bundle>/config.json`."""
    path = Path(bundle) / "config.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SpecFormatError(f"no config.json in bundle {bundle}") from None
    except (OSError, ValueError) as exc:
        raise SpecFormatError(f"cannot read {path}: {exc}") from None
    spec = Spec.from_dict(data)
    if spec.process is not None and not spec.process.args:
        raise SpecFormatError(f"{path}: process.args must name the program to run")
    return spec


def write_spec(bundle: str | os.PathLike[str], spec: Spec) -> Path:
    """Write `<bundle>/config.json` atomically.

    Compact: json's C encoder runs only without `indent`, and with a seccomp
    profile the indented spec costs milliseconds of CPU per container.
    """
    path = Path(bundle) / "config.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(spec.to_dict()))
    os.replace(tmp, path)
    return path
