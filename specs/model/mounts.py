"""What a service mounts: volumes, bind mounts and tmpfs (long syntax), and devices."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from specs.model.base import SpecModel
from specs.model.scalars import ByteSize, ContainerPath, FileMode

MOUNT_TYPES = ("bind", "volume", "tmpfs")
Propagation = Literal["private", "rprivate", "shared", "rshared", "slave", "rslave"]


class BindOptions(SpecModel):
    """Options of a bind mount."""

    propagation: Propagation | None = None
    create_host_path: bool = False
    """Create the host directory when it is missing (the short syntax does)."""
    selinux: Literal["z", "Z"] | None = None
    """SELinux relabelling (shared `z` or private `Z`); nothing to do without SELinux."""

    unsupported = frozenset({"recursive"})


class VolumeOptions(SpecModel):
    """Options of a named or anonymous volume mount."""

    nocopy: bool = False
    """Do not copy the image's content at the mount point into a new, empty volume."""

    unsupported = frozenset({"labels", "subpath"})


class TmpfsOptions(SpecModel):
    """Options of a tmpfs mount."""

    size: ByteSize | None = None
    """Size limit in bytes."""
    mode: FileMode | None = None
    """Permission bits of the tmpfs root."""


class Mount(SpecModel):
    """One entry of a service's `volumes`, in long syntax."""

    type: Literal["bind", "volume", "tmpfs"]
    source: str | None = None
    """Absolute host path (bind), volume key (volume; None for an anonymous volume), None (tmpfs)."""
    target: ContainerPath
    read_only: bool = False
    consistency: str | None = None
    """Docker Desktop's consistency hint; it has no effect on Linux."""
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None

    unsupported = frozenset({"image"})

    @field_validator("target")
    @classmethod
    def _not_the_root(cls, value: str) -> str:
        if value == "/":
            raise ValueError("a mount cannot replace the container's root directory (target /)")
        return value

    always_dumped = frozenset({"type"})

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if isinstance(value, str) and value in ("cluster", "npipe", "image"):
            raise ValueError(f"pycompose does not support mounts of type '{value}' yet")
        return value

    @model_validator(mode="after")
    def _options_match_type(self) -> Mount:
        if self.type == "bind" and not self.source:
            raise ValueError("a bind mount needs a source path on the host")
        if self.type == "tmpfs" and self.source:
            raise ValueError("a tmpfs mount takes no source")
        for kind in MOUNT_TYPES:
            if kind != self.type and getattr(self, kind) is not None:
                raise ValueError(f"'{kind}' options do not apply to a {self.type} mount")
        return self

    @property
    def is_anonymous(self) -> bool:
        """A volume mount with no source: a new volume for each container."""
        return self.type == "volume" and not self.source


class Device(SpecModel):
    """A host device made available in the container."""

    source: str
    """The device's path on the host."""
    target: str
    """The device's path in the container."""
    permissions: str = "rwm"
    """Cgroup access: any of r(ead), w(rite), m(knod)."""

    @field_validator("permissions")
    @classmethod
    def _check_permissions(cls, value: str) -> str:
        if not value or any(char not in "rwm" for char in value):
            raise ValueError(f'"{value}" is not a device permission (any of r, w and m)')
        return value

    @field_validator("source", "target")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f'"{value}" is not an absolute device path')
        return value
