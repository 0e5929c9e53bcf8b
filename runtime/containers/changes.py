"""`commit --change`: Dockerfile instructions applied to an image config, parsed as a build does.

The instruction is read by the build's own parser (runtime/build), so
`CMD ["a", "b"]`, `CMD a b` (shell form), `ENV A=1 B=2`, `ENV A 1`, quoting and
escapes mean exactly what they mean in a Dockerfile. Docker's commit allows
CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR; STOPSIGNAL
and HEALTHCHECK are accepted too. As in a build, ENTRYPOINT without a CMD in
the same set of changes clears CMD.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from runtime.build import instructions as model
from runtime.build.conversion import InstructionError, convert
from runtime.build.errors import BuildError
from runtime.build.expansion import Expander
from runtime.build.image_config import ImageConfig
from runtime.build.parser import parse_syntax
from runtime.build.ports import PortError, parse_port
from runtime.containers.errors import ContainerError

ALLOWED = (
    "cmd", "entrypoint", "env", "expose", "label", "onbuild", "user", "volume", "workdir",
    "stopsignal", "healthcheck",
)  # fmt: skip
MANAGED_KEYS = (
    "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
    "StopSignal", "ArgsEscaped", "Healthcheck", "Shell", "OnBuild",
)  # fmt: skip


def _instructions(change: str) -> list[model.Instruction]:
    try:
        tree = parse_syntax(change, "--change")
    except BuildError as exc:
        raise ContainerError(f"invalid change {change!r}: {exc}") from None
    result = []
    for node in tree.nodes:
        if node.command not in ALLOWED:
            raise ContainerError(f"{node.keyword} is not a valid change command")
        try:
            result.append(convert(node))
        except InstructionError as exc:
            raise ContainerError(f"invalid change {change!r}: {exc}") from None
    return result


def _expander(config: ImageConfig) -> Expander:
    """Words expand against the image's environment, as the build's dispatch does."""
    env = {}
    for entry in config.env:
        key, _, value = entry.partition("=")
        env[key] = value
    return Expander(env, "\\")


def _apply(config: ImageConfig, instruction: model.Instruction, cmd_set: bool) -> ImageConfig:
    if isinstance(instruction, model.CmdInstruction | model.EntrypointInstruction):
        args = instruction.command.args or ()
        if instruction.command.prepend_shell:
            args = config.shell_for(args)
        if isinstance(instruction, model.CmdInstruction):
            return replace(config, cmd=args)
        config = replace(config, entrypoint=args or None)
        return config if cmd_set else replace(config, cmd=None)
    expander = _expander(config)
    if isinstance(instruction, model.EnvInstruction):
        for pair in instruction.env:
            config = config.with_env(expander.word(pair.key), expander.word(pair.value))
            expander = _expander(config)
        return config
    if isinstance(instruction, model.LabelInstruction):
        for pair in instruction.labels:
            config = config.with_label(expander.word(pair.key), expander.word(pair.value))
        return config
    if isinstance(instruction, model.ExposeInstruction):
        try:
            return config.with_ports(
                [key for port in instruction.ports for key in parse_port(port)]
            )
        except PortError as exc:
            raise ContainerError(str(exc)) from None
    if isinstance(instruction, model.UserInstruction):
        return replace(config, user=expander.word(instruction.user))
    if isinstance(instruction, model.WorkdirInstruction):
        path = expander.word(instruction.path)
        base = config.working_dir or "/"
        return replace(config, working_dir=posixpath.normpath(posixpath.join(base, path)))
    if isinstance(instruction, model.VolumeInstruction):
        return config.with_volumes([expander.word(v) for v in instruction.volumes])
    if isinstance(instruction, model.StopsignalInstruction):
        return replace(config, stop_signal=instruction.signal)
    if isinstance(instruction, model.HealthcheckInstruction):
        return replace(config, healthcheck=instruction.health)
    if isinstance(instruction, model.OnbuildInstruction):
        return replace(config, on_build=(*config.on_build, instruction.expression))
    raise ContainerError(f"{instruction.keyword} is not a valid change command")


def apply_changes(config: dict[str, Any], changes: Sequence[str]) -> dict[str, Any]:
    """The image config `config` with the `--change` instructions applied."""
    image = ImageConfig.from_oci(config)
    cmd_set = False
    for change in changes:
        for instruction in _instructions(change):
            image = _apply(image, instruction, cmd_set)
            cmd_set = cmd_set or isinstance(instruction, model.CmdInstruction)
    result = {k: v for k, v in config.items() if k not in MANAGED_KEYS}
    result.update(image.to_oci())
    return result
