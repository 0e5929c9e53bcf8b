"""The typed model of Dockerfile instructions, as written (before variable expansion).

Every instruction records where it came from (`location`: first and last
line, heredoc bodies included), its keyword as written and its source text.
Values keep their quotes and `$references`; `runtime.build.expansion` turns
them into what a step uses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from runtime.build.image_config import Healthcheck
from runtime.build.mounts import Device, MountSpec


@dataclass(frozen=True)
class Location:
    """The first and last line (1-based) of an instruction in its Dockerfile."""

    start: int
    end: int


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None:
            return to_dict()
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Instruction:
    """What every instruction has: its keyword as written, source text, lines and comments."""

    NAME: ClassVar[str] = ""
    keyword: str
    source: str
    location: Location
    comments: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The instruction's canonical upper-case name (`RUN`, `COPY`...)."""
        return self.NAME

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the instruction name, its lines and its own fields."""
        data: dict[str, Any] = {
            "instruction": self.NAME,
            "lines": [self.location.start, self.location.end],
        }
        for field in dataclasses.fields(self):
            if field.name in ("keyword", "source", "location", "comments"):
                continue
            data[field.name] = _plain(getattr(self, field.name))
        return data


@dataclass(frozen=True)
class KeyValue:
    """One `key=value` of ENV or LABEL; `legacy` for the `KEY value` form."""

    key: str
    value: str
    legacy: bool = False


@dataclass(frozen=True)
class ArgDefinition:
    """One name of an ARG, with its default (None when it has none)."""

    key: str
    default: str | None = None


@dataclass(frozen=True)
class InlineFile:
    """A here-document attached to RUN: fed to the shell, or run if it has a shebang.

    `expand` records whether the marker was unquoted; as in BuildKit, only the
    shell acts on it (and only when the here-document is handed to the shell).
    """

    name: str
    data: str
    chomp: bool = False
    expand: bool = True


@dataclass(frozen=True)
class InlineSource:
    """A here-document used as a COPY/ADD source: a file named `path` with `data`."""

    path: str
    data: str
    expand: bool = True


@dataclass(frozen=True)
class CommandLine:
    """The command of RUN, CMD, ENTRYPOINT: exec form, or shell form to prefix with the shell.

    `args` is None for an `ENTRYPOINT []`-style empty exec form, which resets.
    """

    args: tuple[str, ...] | None
    prepend_shell: bool
    files: tuple[InlineFile, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FromInstruction(Instruction):
    """FROM [--platform=P] image [AS name]: starts a stage."""

    NAME: ClassVar[str] = "FROM"
    base_name: str
    stage_name: str = ""
    platform: str = ""


@dataclass(frozen=True, kw_only=True)
class RunInstruction(Instruction):
    """RUN [--mount ...] [--network=M] [--security=S] [--device ...] command."""

    NAME: ClassVar[str] = "RUN"
    command: CommandLine
    mounts: tuple[MountSpec, ...] = ()
    network: str = "default"
    security: str = "sandbox"
    devices: tuple[Device, ...] = ()
    flags_used: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CmdInstruction(Instruction):
    """CMD: the default command of the image."""

    NAME: ClassVar[str] = "CMD"
    command: CommandLine


@dataclass(frozen=True, kw_only=True)
class EntrypointInstruction(Instruction):
    """ENTRYPOINT: the program the image runs."""

    NAME: ClassVar[str] = "ENTRYPOINT"
    command: CommandLine


@dataclass(frozen=True, kw_only=True)
class LabelInstruction(Instruction):
    """LABEL key=value ...: image labels."""

    NAME: ClassVar[str] = "LABEL"
    labels: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class MaintainerInstruction(Instruction):
    """MAINTAINER name (deprecated): the image author."""

    NAME: ClassVar[str] = "MAINTAINER"
    maintainer: str


@dataclass(frozen=True, kw_only=True)
class ExposeInstruction(Instruction):
    """EXPOSE port[/proto] ...: ports as written, sorted as BuildKit sorts them."""

    NAME: ClassVar[str] = "EXPOSE"
    ports: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EnvInstruction(Instruction):
    """ENV key=value ... (or the legacy ENV key value)."""

    NAME: ClassVar[str] = "ENV"
    env: tuple[KeyValue, ...]


@dataclass(frozen=True, kw_only=True)
class FileInstruction(Instruction):
    """What ADD and COPY share: sources (paths and here-documents), destination, ownership."""

    sources: tuple[str, ...]
    contents: tuple[InlineSource, ...]
    destination: str
    chown: str = ""
    chmod: str = ""
    link: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AddInstruction(FileInstruction):
    """ADD [--chown] [--chmod] [--link] [--checksum] [--keep-git-dir] [--unpack] [--exclude] src... dest."""

    NAME: ClassVar[str] = "ADD"
    keep_git_dir: bool | None = None
    checksum: str = ""
    unpack: bool | None = None


@dataclass(frozen=True, kw_only=True)
class CopyInstruction(FileInstruction):
    """COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude] src... dest."""

    NAME: ClassVar[str] = "COPY"
    source_stage: str = ""
    parents: bool = False


@dataclass(frozen=True, kw_only=True)
class VolumeInstruction(Instruction):
    """VOLUME /path ... or VOLUME ["/path", ...]."""

    NAME: ClassVar[str] = "VOLUME"
    volumes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class UserInstruction(Instruction):
    """USER name[:group]."""

    NAME: ClassVar[str] = "USER"
    user: str


@dataclass(frozen=True, kw_only=True)
class WorkdirInstruction(Instruction):
    """WORKDIR /path."""

    NAME: ClassVar[str] = "WORKDIR"
    path: str


@dataclass(frozen=True, kw_only=True)
class ArgInstruction(Instruction):
    """ARG name[=default] ...: build arguments in scope from here."""

    NAME: ClassVar[str] = "ARG"
    args: tuple[ArgDefinition, ...]


@dataclass(frozen=True, kw_only=True)
class OnbuildInstruction(Instruction):
    """ONBUILD instruction: a trigger stored in the image, run by builds FROM it."""

    NAME: ClassVar[str] = "ONBUILD"
    expression: str
    trigger: str


@dataclass(frozen=True, kw_only=True)
class StopsignalInstruction(Instruction):
    """STOPSIGNAL signal."""

    NAME: ClassVar[str] = "STOPSIGNAL"
    signal: str


@dataclass(frozen=True, kw_only=True)
class HealthcheckInstruction(Instruction):
    """HEALTHCHECK NONE, or HEALTHCHECK [options] CMD command; durations in nanoseconds."""

    NAME: ClassVar[str] = "HEALTHCHECK"
    health: Healthcheck


@dataclass(frozen=True, kw_only=True)
class ShellInstruction(Instruction):
    """SHELL ["executable", "params"...]: the shell for shell-form commands."""

    NAME: ClassVar[str] = "SHELL"
    shell: tuple[str, ...]


ALL_INSTRUCTIONS: tuple[type[Instruction], ...] = (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
INSTRUCTION_NAMES = tuple(cls.NAME for cls in ALL_INSTRUCTIONS)
