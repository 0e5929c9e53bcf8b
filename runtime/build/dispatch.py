"""Plan one stage: each instruction expanded as BuildKit does it, as a step for the executor.

Words are expanded only where BuildKit expands them — ENV, LABEL, ADD, COPY,
WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE, ARG defaults and RUN `--mount`
values — against the stage's build-time environment: the base image's Env,
then each ARG and ENV in order (a later one wins). RUN, CMD, ENTRYPOINT,
SHELL, HEALTHCHECK and ONBUILD are never expanded; the shell does that when
the command runs. Global ARGs reach a stage only through `ARG NAME`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from runtime.build import instructions as model
from runtime.build.actions import normalize_path, plan_copy, plan_run, plan_workdir
from runtime.build.cache_keys import CacheInputs
from runtime.build.dockerfile import parse_trigger
from runtime.build.durations import format_duration
from runtime.build.errors import BuildError, DockerfileError, StepError
from runtime.build.expansion import Expander
from runtime.build.gotext import format_list, quote_list
from runtime.build.image_config import DEFAULT_PATH, ImageConfig
from runtime.build.planner import BuildPlan
from runtime.build.ports import PortError, parse_port
from runtime.build.scope import NON_ENV_ARGS, ArgValue, Environment
from runtime.build.signals import SignalError, parse_signal
from runtime.build.steps import Action, CopyAction, StageProgram, StageState, Step

_FILESYSTEM = (
    model.RunInstruction,
    model.CopyInstruction,
    model.AddInstruction,
    model.WorkdirInstruction,
)


@dataclass
class _Stage:
    """The state while a stage's instructions are planned, one after the other."""

    plan: BuildPlan
    index: int
    config: ImageConfig
    env: Environment
    build_args: list[ArgValue]
    workdir_set: bool
    working_dir: str
    cmd_set: bool = False
    steps: list[Step] = field(default_factory=list)

    @property
    def expander(self) -> Expander:
        return Expander(self.env.as_mapping(), self.plan.dockerfile.escape)


@dataclass(frozen=True)
class _Outcome:
    action: Action | None
    created_by: str | None
    description: str = ""
    cache_fields: dict[str, Any] = field(default_factory=dict)


def _env(stage: _Stage, instruction: model.EnvInstruction) -> _Outcome:
    expander = stage.expander
    pairs = [(expander.word(kv.key), expander.word(kv.value)) for kv in instruction.env]
    for key, value in pairs:
        stage.env.set(key, value)
        stage.config = stage.config.with_env(key, value)
    return _Outcome(None, "ENV" + "".join(f" {key}={value}" for key, value in pairs))


def _label(stage: _Stage, instruction: model.LabelInstruction) -> _Outcome:
    expander = stage.expander
    pairs = [(expander.word(kv.key), expander.word(kv.value)) for kv in instruction.labels]
    for key, value in pairs:
        stage.config = stage.config.with_label(key, value)
    return _Outcome(None, "LABEL" + "".join(f" {key}={value}" for key, value in pairs))


def _maintainer(stage: _Stage, instruction: model.MaintainerInstruction) -> _Outcome:
    stage.config = replace(stage.config, author=instruction.maintainer)
    return _Outcome(None, f"MAINTAINER {instruction.maintainer}")


def _workdir(stage: _Stage, instruction: model.WorkdirInstruction) -> _Outcome:
    expander = stage.expander
    working_dir, action = plan_workdir(expander.word(instruction.path), stage.config)
    stage.config = replace(stage.config, working_dir=working_dir)
    stage.working_dir = working_dir
    stage.workdir_set = True
    return _Outcome(action, f"WORKDIR {working_dir}", expander.display(instruction.source, False))


def _run(stage: _Stage, instruction: model.RunInstruction) -> _Outcome:
    expander = stage.expander
    action, created_by = plan_run(
        instruction,
        expander,
        stage.config,
        stage.working_dir,
        tuple(stage.build_args),
        stage.plan,
        stage.index,
    )
    description = expander.display(instruction.source, True)
    if instruction.command.files:
        lines = instruction.command.files[0].data.strip().replace("\r\n", "\n").split("\n")
        description += f" ({lines[0]}{'...' if len(lines) > 1 else ''})"
    return _Outcome(action, created_by, description)


def _copy(stage: _Stage, instruction: model.FileInstruction) -> _Outcome:
    expander = stage.expander
    action, created_by = plan_copy(
        instruction, expander, stage.working_dir, stage.plan, stage.index
    )
    return _Outcome(action, created_by, expander.display(instruction.source, False))


def _cmd(stage: _Stage, instruction: model.CmdInstruction) -> _Outcome:
    args = instruction.command.args or ()
    if instruction.command.prepend_shell:
        args = stage.config.shell_for(args)
    stage.config = replace(stage.config, cmd=args, args_escaped=True)
    stage.cmd_set = True
    return _Outcome(None, f"CMD {quote_list(args)}")


def _entrypoint(stage: _Stage, instruction: model.EntrypointInstruction) -> _Outcome:
    args = instruction.command.args
    if instruction.command.prepend_shell:
        args = stage.config.shell_for(args or ())
    stage.config = replace(stage.config, entrypoint=args)
    if not stage.cmd_set:
        stage.config = replace(stage.config, cmd=None)
    return _Outcome(None, f"ENTRYPOINT {quote_list(args or ())}")


def _healthcheck(stage: _Stage, instruction: model.HealthcheckInstruction) -> _Outcome:
    health = instruction.health
    stage.config = replace(stage.config, healthcheck=health)
    text = (
        f"{{Test:{format_list(health.test)} Interval:{format_duration(health.interval)} "
        f"Timeout:{format_duration(health.timeout)} "
        f"StartPeriod:{format_duration(health.start_period)} "
        f"StartInterval:{format_duration(health.start_interval)} Retries:{health.retries}}}"
    )
    return _Outcome(None, f"HEALTHCHECK {text}")


def _expose(stage: _Stage, instruction: model.ExposeInstruction) -> _Outcome:
    expander = stage.expander
    words = [word for port in instruction.ports for word in expander.words(port)]
    try:
        ports = [key for word in words for key in parse_port(word)]
    except PortError as error:
        raise StepError(str(error)) from None
    stage.config = stage.config.with_ports(ports)
    return _Outcome(None, f"EXPOSE {format_list(ports)}")


def _user(stage: _Stage, instruction: model.UserInstruction) -> _Outcome:
    user = stage.expander.word(instruction.user)
    stage.config = replace(stage.config, user=user)
    return _Outcome(None, f"USER {user}")


def _volume(stage: _Stage, instruction: model.VolumeInstruction) -> _Outcome:
    volumes = [stage.expander.word(volume) for volume in instruction.volumes]
    if any(volume == "" for volume in volumes):
        raise StepError("VOLUME specified can not be an empty string")
    stage.config = stage.config.with_volumes(volumes)
    return _Outcome(None, f"VOLUME {format_list(volumes)}")


def _stopsignal(stage: _Stage, instruction: model.StopsignalInstruction) -> _Outcome:
    signal = stage.expander.word(instruction.signal)
    try:
        parse_signal(signal)
    except SignalError as error:
        raise StepError(str(error)) from None
    stage.config = replace(stage.config, stop_signal=signal)
    return _Outcome(None, f"STOPSIGNAL {signal}")


def _shell(stage: _Stage, instruction: model.ShellInstruction) -> _Outcome:
    stage.config = replace(stage.config, shell=instruction.shell)
    return _Outcome(None, f"SHELL {format_list(instruction.shell)}")


def _arg(stage: _Stage, instruction: model.ArgInstruction) -> _Outcome:
    build_args = stage.plan.options.build_args
    scope = stage.plan.global_scope().as_mapping()
    written = []
    for definition in instruction.args:
        value = definition.default
        if value is None and definition.key not in build_args and definition.key in scope:
            value = scope[definition.key]  # a global ARG redeclared in the stage
        elif definition.key in build_args:
            value = build_args[definition.key]
        elif value is not None:
            value = stage.expander.word(value)
        if value is not None and definition.key not in NON_ENV_ARGS:
            stage.env.set(definition.key, value)
        stage.build_args.append(ArgValue(definition.key, value))
        written.append(definition.key if value is None else f"{definition.key}={value}")
    return _Outcome(None, "ARG " + " ".join(written))


def _onbuild(stage: _Stage, instruction: model.OnbuildInstruction) -> _Outcome:
    stage.config = replace(stage.config, on_build=(*stage.config.on_build, instruction.expression))
    return _Outcome(None, None)


_HANDLERS: dict[type[model.Instruction], Callable[[_Stage, Any], _Outcome]] = {
    model.EnvInstruction: _env,
    model.LabelInstruction: _label,
    model.MaintainerInstruction: _maintainer,
    model.WorkdirInstruction: _workdir,
    model.RunInstruction: _run,
    model.CopyInstruction: _copy,
    model.AddInstruction: _copy,
    model.CmdInstruction: _cmd,
    model.EntrypointInstruction: _entrypoint,
    model.HealthcheckInstruction: _healthcheck,
    model.ExposeInstruction: _expose,
    model.UserInstruction: _user,
    model.VolumeInstruction: _volume,
    model.StopsignalInstruction: _stopsignal,
    model.ShellInstruction: _shell,
    model.ArgInstruction: _arg,
    model.OnbuildInstruction: _onbuild,
}


def _cache_inputs(
    instruction: model.Instruction, outcome: _Outcome, config: ImageConfig
) -> CacheInputs:
    if outcome.action is None:
        fields = {"created_by": outcome.created_by, "config": config.to_oci()}
        return CacheInputs.of(instruction.name, fields)
    fields = {
        f.name: getattr(outcome.action, f.name)
        for f in dataclasses.fields(outcome.action)
        if f.name != "proxy_env"  # proxies never change a result (as in BuildKit)
    }
    sources: tuple[str, ...] = ()
    if isinstance(outcome.action, CopyAction):
        sources = outcome.action.sources
    return CacheInputs.of(instruction.name, fields, sources)


def _triggers(plan: BuildPlan, index: int, base: StageState) -> list[model.Instruction]:
    planned = plan.stages[index]
    if planned.base.stage_index is not None:
        parent = plan.stages[planned.base.stage_index].stage
        expressions = [
            i.expression for i in parent.instructions if isinstance(i, model.OnbuildInstruction)
        ]
    else:
        expressions = list(base.config.on_build)
    location = planned.stage.location
    return [parse_trigger(text, location, plan.dockerfile.filename) for text in expressions]


def plan_stage(plan: BuildPlan, index: int, base: StageState) -> StageProgram:
    """The steps of stage `index`, starting from `base` (its image's or parent stage's state).

    For a stage FROM another stage, `base` is that stage's `StageProgram.final`;
    for an image, `StageState.from_image(config)`; for scratch, `from_image(None)`.
    Raises DockerfileError located at the failing instruction.
    """
    planned = plan.stages[index]
    dockerfile = plan.dockerfile
    triggers = _triggers(plan, index, base)
    config = replace(base.config, on_build=())
    env = base.environment()
    if config.get_env("PATH") is None:
        config = config.with_env("PATH", DEFAULT_PATH)
        env.set("PATH", DEFAULT_PATH)
    working_dir = "/"
    if config.working_dir:
        working_dir = normalize_path(config.working_dir, config.working_dir, keep_slash=False)
        config = replace(config, working_dir=working_dir)
    stage = _Stage(plan, index, config, env, list(base.build_args), base.workdir_set, working_dir)
    work = [(instruction, True) for instruction in triggers]
    work += [(instruction, False) for instruction in planned.stage.instructions]
    number = 1 if planned.base.kind == "image" else 0
    total = number + sum(isinstance(instruction, _FILESYSTEM) for instruction, _ in work)
    for instruction, on_build in work:
        location = planned.stage.location if on_build else instruction.location
        try:
            outcome = _HANDLERS[type(instruction)](stage, instruction)
        except (StepError, BuildError) as error:
            if isinstance(error, DockerfileError):
                raise
            raise DockerfileError(
                str(error), dockerfile.filename, location.start, location.end
            ) from None
        step_number = None
        if outcome.action is not None:
            number += 1
            step_number = number
        stage.steps.append(
            Step(
                instruction=instruction,
                description=outcome.description or instruction.source,
                action=outcome.action,
                config=stage.config,
                created_by=outcome.created_by,
                empty_layer=outcome.action is None,
                cache=_cache_inputs(instruction, outcome, stage.config),
                number=step_number,
                on_build=on_build,
            )
        )
    final_config = stage.config
    if index == plan.target and plan.options.labels:
        for key, value in plan.options.labels.items():
            final_config = final_config.with_label(key, value)
    final = StageState(final_config, stage.env.items(), tuple(stage.build_args), stage.workdir_set)
    return StageProgram(
        index=index,
        name=planned.name,
        base=planned.base,
        steps=tuple(stage.steps),
        total=total,
        final=final,
    )
