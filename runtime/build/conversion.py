"""From syntax-tree nodes to typed instructions, with BuildKit's checks and messages.

Each instruction checks its arguments and flags in the order BuildKit does,
so that a Dockerfile with several mistakes reports the same one first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runtime.build import instructions as model
from runtime.build.durations import MILLISECOND, DurationError, format_duration, parse_duration
from runtime.build.flags import FlagError, FlagSet
from runtime.build.gotext import NumberError, parse_int, quote, trim_space
from runtime.build.heredocs import chomp, find_heredoc
from runtime.build.image_config import Healthcheck
from runtime.build.instructions import INSTRUCTION_NAMES, Location
from runtime.build.mounts import MountError, parse_device, parse_mount_spec
from runtime.build.suggestions import with_suggestion
from runtime.build.syntax_tree import Node

NETWORK_MODES = ("default", "none", "host")
SECURITY_MODES = ("insecure", "sandbox")
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*\Z")
_ONBUILD_PREFIX = re.compile(r"^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*", re.IGNORECASE)


class InstructionError(ValueError):
    """An instruction whose arguments or flags BuildKit rejects."""


def _common(node: Node) -> dict[str, Any]:
    return {
        "keyword": node.keyword,
        "source": trim_space(node.original),
        "location": Location(node.start_line, node.end_line),
        "comments": node.comments,
    }


def _at_least_one(name: str) -> InstructionError:
    return InstructionError(f"{name} requires at least one argument")


def _exactly_one(name: str) -> InstructionError:
    return InstructionError(f"{name} requires exactly one argument")


def _flags(node: Node, declare: Callable[[FlagSet], None] | None = None) -> FlagSet:
    flags = FlagSet(node.flags)
    if declare is not None:
        declare(flags)
    try:
        flags.parse()
    except FlagError as error:
        raise InstructionError(str(error)) from None
    return flags


def _key_values(node: Node, name: str) -> tuple[model.KeyValue, ...]:
    args = node.args
    if not args:
        raise _at_least_one(name)
    if len(args) % 3:
        raise InstructionError(f"Bad input to {name}, too many arguments")
    pairs = []
    for index in range(0, len(args), 3):
        key, value, separator = args[index : index + 3]
        if not key:
            raise InstructionError(f"{name} names can not be blank")
        pairs.append(model.KeyValue(key, value, legacy=separator == ""))
    return tuple(pairs)


def _env(node: Node) -> model.Instruction:
    _flags(node)
    return model.EnvInstruction(env=_key_values(node, "ENV"), **_common(node))


def _label(node: Node) -> model.Instruction:
    _flags(node)
    return model.LabelInstruction(labels=_key_values(node, "LABEL"), **_common(node))


def _maintainer(node: Node) -> model.Instruction:
    if len(node.args) != 1:
        raise _exactly_one("MAINTAINER")
    _flags(node)
    return model.MaintainerInstruction(maintainer=node.args[0], **_common(node))


def _sources_and_destination(
    node: Node, name: str
) -> tuple[tuple[str, ...], tuple[model.InlineSource, ...], str]:
    *sources, destination = node.args
    if find_heredoc(destination) is not None:
        raise InstructionError(f"{name} cannot accept a heredoc as a destination")
    bodies = {heredoc.name: heredoc for heredoc in node.heredocs}
    paths: list[str] = []
    contents: list[model.InlineSource] = []
    for source in sources:
        heredoc = find_heredoc(source)
        if heredoc is None:
            paths.append(source)
            continue
        body = bodies.get(heredoc.name)
        data = body.content if body is not None else ""
        if heredoc.chomp:
            data = chomp(data)
        contents.append(model.InlineSource(heredoc.name, data, heredoc.expand))
    return tuple(paths), tuple(contents), destination


def _file_instruction(
    node: Node, extra: Callable[[FlagSet], None]
) -> tuple[FlagSet, dict[str, Any]]:
    """Check ADD/COPY's arguments and shared flags; the fields both instructions have."""
    name = node.command.upper()
    if len(node.args) < 2:
        raise InstructionError(
            f"{name} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )

    def declare(flags: FlagSet) -> None:
        flags.add_string("chown")
        flags.add_string("chmod")
        flags.add_bool("link")
        flags.add_strings("exclude")
        extra(flags)

    flags = _flags(node, declare)
    sources, contents, destination = _sources_and_destination(node, name)
    fields = {
        "sources": sources,
        "contents": contents,
        "destination": destination,
        "chown": flags.string("chown"),
        "chmod": flags.string("chmod"),
        "link": flags.boolean("link"),
        "exclude": flags.strings("exclude"),
        **_common(node),
    }
    return flags, fields


def _add_flags(flags: FlagSet) -> None:
    flags.add_bool("keep-git-dir")
    flags.add_string("checksum")
    flags.add_bool("unpack")


def _add(node: Node) -> model.Instruction:
    flags, fields = _file_instruction(node, _add_flags)
    return model.AddInstruction(
        keep_git_dir=flags.optional_boolean("keep-git-dir"),
        checksum=flags.string("checksum"),
        unpack=flags.optional_boolean("unpack"),
        **fields,
    )


def _copy_flags(flags: FlagSet) -> None:
    flags.add_string("from")
    flags.add_bool("parents")


def _copy(node: Node) -> model.Instruction:
    flags, fields = _file_instruction(node, _copy_flags)
    return model.CopyInstruction(
        source_stage=flags.string("from"), parents=flags.boolean("parents"), **fields
    )


def _from(node: Node) -> model.Instruction:
    args = node.args
    stage_name = ""
    if len(args) == 3 and args[1].lower() == "as":
        stage_name = args[2].lower()
        if not _STAGE_NAME.match(stage_name):
            raise InstructionError(
                f"invalid name for build stage: {quote(args[2])}, "
                "name can't start with a number or contain symbols"
            )
    elif len(args) != 1:
        raise InstructionError("FROM requires either one or three arguments")
    flags = _flags(node, lambda flags: flags.add_string("platform"))
    return model.FromInstruction(
        base_name=args[0],
        stage_name=stage_name,
        platform=flags.string("platform"),
        **_common(node),
    )


def _onbuild(node: Node) -> model.Instruction:
    if not node.args:
        raise _at_least_one("ONBUILD")
    _flags(node)
    trigger = trim_space(node.args[0]).upper()
    if trigger == "ONBUILD":
        raise InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise InstructionError(f"{trigger} isn't allowed as an ONBUILD trigger")
    expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
    for heredoc in node.heredocs:
        expression += "\n" + heredoc.content + heredoc.name
    return model.OnbuildInstruction(expression=expression, trigger=trigger, **_common(node))


def _workdir(node: Node) -> model.Instruction:
    if len(node.args) != 1:
        raise _exactly_one("WORKDIR")
    _flags(node)
    return model.WorkdirInstruction(path=node.args[0], **_common(node))


def _json_args(node: Node, args: tuple[str, ...]) -> tuple[str, ...]:
    if not args or node.json:
        return args
    return (" ".join(args),)


def _command_line(node: Node, empty_as_none: bool) -> model.CommandLine:
    files = tuple(model.InlineFile(h.name, h.content, h.chomp, h.expand) for h in node.heredocs)
    args: tuple[str, ...] | None = _json_args(node, node.args)
    if empty_as_none and not args:
        args = None
    return model.CommandLine(args=args, prepend_shell=not node.json, files=files)


def _run(node: Node) -> model.Instruction:
    def declare(flags: FlagSet) -> None:
        flags.add_strings("device")
        flags.add_strings("mount")
        flags.add_string("network", "default")
        flags.add_string("security", "sandbox")

    flags = _flags(node, declare)
    try:
        devices = tuple(parse_device(text) for text in flags.strings("device"))
        mounts = tuple(parse_mount_spec(text) for text in flags.strings("mount"))
    except MountError as error:
        raise InstructionError(str(error)) from None
    network = flags.string("network")
    if network not in NETWORK_MODES:
        raise InstructionError(f"invalid network mode {quote(network)}")
    security = flags.string("security")
    if security not in SECURITY_MODES:
        raise InstructionError(f"security {quote(security)} is not valid")
    return model.RunInstruction(
        command=_command_line(node, empty_as_none=False),
        mounts=mounts,
        network=network,
        security=security,
        devices=devices,
        flags_used=flags.used(),
        **_common(node),
    )


def _cmd(node: Node) -> model.Instruction:
    _flags(node)
    return model.CmdInstruction(command=_command_line(node, False), **_common(node))


def _entrypoint(node: Node) -> model.Instruction:
    _flags(node)
    return model.EntrypointInstruction(command=_command_line(node, True), **_common(node))


def _interval(flags: FlagSet, name: str) -> int:
    text = flags.string(name)
    if not text:
        return 0
    try:
        value = parse_duration(text)
    except DurationError as error:
        raise InstructionError(str(error)) from None
    if value == 0:
        return 0
    if value < MILLISECOND:
        raise InstructionError(
            f"Interval {quote(name)} cannot be less than {format_duration(MILLISECOND)}"
        )
    return value


def _healthcheck(node: Node) -> model.Instruction:
    if not node.args:
        raise _at_least_one("HEALTHCHECK")
    kind = node.args[0].upper()
    rest = node.args[1:]
    if kind == "NONE":
        if rest:
            raise InstructionError("HEALTHCHECK NONE takes no arguments")
        return model.HealthcheckInstruction(health=Healthcheck(test=("NONE",)), **_common(node))

    def declare(flags: FlagSet) -> None:
        for name in ("interval", "timeout", "start-period", "start-interval", "retries"):
            flags.add_string(name)

    flags = _flags(node, declare)
    if kind != "CMD":
        raise InstructionError(f"Unknown type {quote(kind)} in HEALTHCHECK (try CMD)")
    command = _json_args(node, rest)
    if not command:
        raise InstructionError("Missing command after HEALTHCHECK CMD")
    test = ("CMD" if node.json else "CMD-SHELL", *command)
    intervals = {name: _interval(flags, name) for name in ("interval", "timeout")}
    start_period = _interval(flags, "start-period")
    start_interval = _interval(flags, "start-interval")
    retries = 0
    if flags.string("retries"):
        try:
            retries = parse_int(flags.string("retries"), 10, 32)
        except NumberError as error:
            raise InstructionError(str(error)) from None
        if retries < 0:
            raise InstructionError(f"--retries cannot be negative ({retries})")
    health = Healthcheck(
        test=test,
        interval=intervals["interval"],
        timeout=intervals["timeout"],
        start_period=start_period,
        start_interval=start_interval,
        retries=retries,
    )
    return model.HealthcheckInstruction(health=health, **_common(node))


def _expose(node: Node) -> model.Instruction:
    if not node.args:
        raise _at_least_one("EXPOSE")
    _flags(node)
    return model.ExposeInstruction(ports=tuple(sorted(node.args)), **_common(node))


def _user(node: Node) -> model.Instruction:
    if len(node.args) != 1:
        raise _exactly_one("USER")
    _flags(node)
    return model.UserInstruction(user=node.args[0], **_common(node))


def _volume(node: Node) -> model.Instruction:
    if not node.args:
        raise _at_least_one("VOLUME")
    _flags(node)
    volumes = []
    for value in node.args:
        value = trim_space(value)
        if not value:
            raise InstructionError("VOLUME specified can not be an empty string")
        volumes.append(value)
    return model.VolumeInstruction(volumes=tuple(volumes), **_common(node))


def _stopsignal(node: Node) -> model.Instruction:
    # BuildKit does not read STOPSIGNAL's flags at all.
    if len(node.args) != 1:
        raise _exactly_one("STOPSIGNAL")
    return model.StopsignalInstruction(signal=node.args[0], **_common(node))


def _arg(node: Node) -> model.Instruction:
    if not node.args:
        raise _at_least_one("ARG")
    definitions = []
    for word in node.args:
        if "=" in word:
            key, value = word.split("=", 1)
            if not key:
                raise InstructionError("ARG names can not be blank")
            definitions.append(model.ArgDefinition(key, value))
        else:
            definitions.append(model.ArgDefinition(word))
    return model.ArgInstruction(args=tuple(definitions), **_common(node))


def _shell(node: Node) -> model.Instruction:
    _flags(node)
    shell = _json_args(node, node.args)
    if not shell:
        raise _at_least_one("SHELL")
    if not node.json:
        raise InstructionError("SHELL requires the arguments to be in JSON form")
    return model.ShellInstruction(shell=shell, **_common(node))


_CONVERTERS: dict[str, Callable[[Node], model.Instruction]] = {
    "add": _add,
    "arg": _arg,
    "cmd": _cmd,
    "copy": _copy,
    "entrypoint": _entrypoint,
    "env": _env,
    "expose": _expose,
    "from": _from,
    "healthcheck": _healthcheck,
    "label": _label,
    "maintainer": _maintainer,
    "onbuild": _onbuild,
    "run": _run,
    "shell": _shell,
    "stopsignal": _stopsignal,
    "user": _user,
    "volume": _volume,
    "workdir": _workdir,
}


def convert(node: Node) -> model.Instruction:
    """The typed instruction for a node; raises InstructionError with BuildKit's message."""
    converter = _CONVERTERS.get(node.command)
    if converter is None:
        message = f"unknown instruction: {node.keyword}"
        raise InstructionError(with_suggestion(message, node.keyword, INSTRUCTION_NAMES, False))
    return converter(node)
