"""Planning a build: stages, target, ARG scopes, expansion per step, history, cache inputs."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.build.dispatch import plan_stage
from runtime.build.dockerfile import parse_dockerfile
from runtime.build.errors import DockerfileError
from runtime.build.image_config import DEFAULT_PATH
from runtime.build.planner import BuildOptions, BuildPlan, plan_build
from runtime.build.platforms import Platform
from runtime.build.steps import CopyAction, RunAction, StageProgram, StageState, WorkdirAction

AMD64 = Platform("linux", "amd64")
IMAGE = {"Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], "WorkingDir": "/base", "Cmd": ["sh"]}


def plan(text: str, **options: Any) -> BuildPlan:
    options.setdefault("build_platform", AMD64)
    return plan_build(parse_dockerfile(text), BuildOptions(**options))


def programs(built: BuildPlan, images: dict[str, Any] | None = None) -> dict[int, StageProgram]:
    """Plan every needed stage; images are looked up by reference (default: IMAGE)."""
    done: dict[int, StageProgram] = {}
    for planned in built.needed:
        if planned.base.stage_index is not None:
            base = done[planned.base.stage_index].final
        elif planned.base.kind == "scratch":
            base = StageState.from_image(None)
        else:
            base = StageState.from_image((images or {}).get(planned.base.reference, IMAGE))
        done[planned.index] = plan_stage(built, planned.index, base)
    return done


def target(text: str, **options: Any) -> StageProgram:
    built = plan(text, **options)
    return programs(built)[built.target]


def env_of(program: StageProgram, step: int) -> dict[str, str]:
    action = program.steps[step].action
    assert isinstance(action, RunAction)
    return dict(entry.split("=", 1) for entry in action.env)


MULTI = """\
FROM golang AS deps
FROM node AS assets
FROM deps AS build
COPY --from=tools /bin/tool /bin/
RUN --mount=type=cache,target=/c --mount=from=assets,target=/a make
FROM scratch AS unused
FROM alpine AS test
COPY --from=build /out /out
FROM alpine
COPY --from=build /out /app
"""


def test_default_target_is_the_last_stage_and_only_needed_stages_are_built() -> None:
    built = plan(MULTI)
    assert built.target == 5
    assert built.order == (0, 1, 2, 5)
    assert built.images == ("golang", "node", "tools", "alpine")
    assert [p.name for p in built.needed] == ["deps", "assets", "build", "stage-5"]


def test_named_target() -> None:
    built = plan(MULTI, target="TEST")
    assert (built.target, built.order) == (4, (0, 1, 2, 4))


def test_unknown_target_suggests_a_stage() -> None:
    with pytest.raises(DockerfileError) as caught:
        plan(MULTI, target="tset")
    assert str(caught.value) == (
        'Dockerfile: target stage "tset" could not be found (did you mean test?)'
    )


def test_a_single_stage_has_no_name_in_labels() -> None:
    program = target("FROM alpine\nRUN a\nWORKDIR /w\n")
    assert [program.label(step) for step in program.steps] == ["[2/3] RUN a", "[3/3] WORKDIR /w"]


def test_labels_number_steps_like_buildkit() -> None:
    program = target("FROM scratch AS other\nFROM alpine AS app\nENV A=1\nRUN a\nCOPY x y\n")
    labels = [program.label(step) for step in program.steps]
    assert labels == ["ENV A=1", "[app 2/3] RUN a", "[app 3/3] COPY x y"]


def test_global_args_feed_from_lines_and_build_args_override_them() -> None:
    text = "ARG BASE=alpine\nARG TAG=${BASE}-latest\nFROM ${BASE}:${TAG}\n"
    assert plan(text).images == ("alpine:alpine-latest",)
    assert plan(text, build_args={"BASE": "debian"}).images == ("debian:debian-latest",)
    assert plan(text, build_args={"TAG": "12"}).images == ("alpine:12",)


def test_platform_arguments_are_predefined() -> None:
    text = (
        "FROM --platform=$BUILDPLATFORM golang AS build\n"
        "FROM alpine:$TARGETARCH\nCOPY --from=build /out /out\n"
    )
    built = plan(text, target_platform=Platform("linux", "arm64"))
    assert built.images == ("golang", "alpine:arm64")
    assert built.stages[0].platform == AMD64


def test_global_args_need_redeclaring_in_a_stage() -> None:
    text = "ARG V=global\nFROM alpine\nENV BEFORE=[$V]\nARG V\nENV AFTER=[$V]\n"
    program = target(text)
    assert program.config.get_env("BEFORE") == "[]"
    assert program.config.get_env("AFTER") == "[global]"
    program = target(text, build_args={"V": "cli"})
    assert program.config.get_env("AFTER") == "[cli]"


def test_undeclared_build_args_are_invisible() -> None:
    program = target("FROM alpine\nENV X=[$SECRET]\n", build_args={"SECRET": "s"})
    assert program.config.get_env("X") == "[]"


def test_env_overrides_arg_and_a_later_arg_overrides_the_build_environment() -> None:
    text = "FROM alpine\nARG V=arg\nENV V=env\nRUN a\nARG V=again\nRUN b\n"
    program = target(text)
    assert env_of(program, 2)["V"] == "env"
    assert env_of(program, 4)["V"] == "again"
    assert program.config.get_env("V") == "env"


def test_env_pairs_see_the_previous_values_and_arg_pairs_see_each_other() -> None:
    program = target("FROM alpine\nENV A=1 B=[$A]\nARG C=2 D=[$C]\nENV E=$D\n")
    assert program.config.get_env("B") == "[]"
    assert program.config.get_env("E") == "[2]"


def test_base_image_environment_is_used_for_expansion() -> None:
    program = target("FROM alpine\nENV PATH=$PATH:/opt/bin\n")
    assert program.config.get_env("PATH") == "/usr/bin:/bin:/opt/bin"


def test_scratch_gets_a_default_path() -> None:
    program = target("FROM scratch\nENV A=1\n")
    assert program.config.env == (f"PATH={DEFAULT_PATH}", "A=1")


def test_run_history_lists_the_stage_args_and_proxies_stay_out() -> None:
    text = "FROM alpine\nARG VERSION=1.0\nARG UNSET\nRUN make VERSION=$VERSION\n"
    options = {"build_args": {"http_proxy": "http://proxy:3128"}}
    program = target(text, **options)
    step = program.steps[-1]
    assert (
        step.created_by == "RUN |2 VERSION=1.0 UNSET= /bin/sh -c make VERSION=$VERSION # buildkit"
    )
    action = step.action
    assert isinstance(action, RunAction)
    assert action.argv == ("/bin/sh", "-c", "make VERSION=$VERSION")
    assert action.working_dir == "/base"
    assert action.proxy_env == ("HTTP_PROXY=http://proxy:3128", "http_proxy=http://proxy:3128")
    assert "proxy" not in step.cache.data
    plain = target(text).steps[-1]
    assert plain.cache.key("parent") == step.cache.key("parent")


def test_run_command_is_never_expanded_but_mounts_are() -> None:
    text = "FROM alpine\nARG D=/cache\nRUN --mount=type=cache,target=$D echo $D\n"
    action = target(text).steps[-1].action
    assert isinstance(action, RunAction)
    assert action.argv[-1] == "echo $D"
    assert action.mounts[0].target == "/cache"


def test_shell_changes_shell_form_commands() -> None:
    text = 'FROM alpine\nSHELL ["/bin/bash", "-c"]\nRUN echo hi\nCMD echo cmd\n'
    program = target(text)
    action = program.steps[1].action
    assert isinstance(action, RunAction) and action.argv == ("/bin/bash", "-c", "echo hi")
    assert program.config.cmd == ("/bin/bash", "-c", "echo cmd")
    assert program.steps[2].created_by == 'CMD ["/bin/bash" "-c" "echo cmd"]'


def test_entrypoint_resets_an_inherited_cmd_but_not_one_set_in_the_stage() -> None:
    assert target('FROM alpine\nENTRYPOINT ["app"]\n').config.cmd is None
    program = target('FROM alpine\nCMD ["serve"]\nENTRYPOINT ["app"]\n')
    assert (program.config.entrypoint, program.config.cmd) == (("app",), ("serve",))


def test_heredoc_run_forms() -> None:
    text = (
        "FROM alpine\nRUN <<EOF\necho plain\nEOF\n"
        "RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n"
        "RUN cat <<A > /f\nbody\nA\n"
    )
    steps = target(text).steps
    actions = [step.action for step in steps]
    assert all(isinstance(action, RunAction) for action in actions)
    plain, script, shell = (a for a in actions if isinstance(a, RunAction))
    assert plain.argv == ("/bin/sh", "-c", "echo plain\n")
    assert script.argv == ("/bin/sh", "-c", "/dev/pipes/EOF")
    assert [(f.path, f.data, f.mode) for f in script.files] == [
        ("/dev/pipes/EOF", "#!/usr/bin/env python3\nprint(1)\n", 0o755)
    ]
    assert shell.argv == ("/bin/sh", "-c", "cat <<A > /f\nbody\nA")
    assert steps[0].description == "RUN <<EOF (echo plain)"


def test_copy_destination_and_heredoc_expansion() -> None:
    text = (
        "FROM alpine\nWORKDIR /app\nENV NAME=world\n"
        "COPY <<EOF <<'RAW' --chown=$NAME src/ ./\nhello $NAME\nEOF\n$NAME\nRAW\n"
        "COPY a.txt sub/file.txt\nCOPY b /abs/dir/\n"
    )
    steps = target(text).steps
    first, second, third = (s.action for s in steps if isinstance(s.action, CopyAction))
    assert first.destination == "/app/"
    assert [(c.path, c.data) for c in first.contents] == [
        ("EOF", "hello world\n"),
        ("RAW", "$NAME\n"),
    ]
    assert second.destination == "/app/sub/file.txt"
    assert third.destination == "/abs/dir/"
    copy_step = next(s for s in steps if s.action is first)
    assert copy_step.created_by == "COPY --chown=world src/ <<EOF <<RAW ./ # buildkit"


def test_copy_from_stage_and_image() -> None:
    programs_by_index = programs(plan(MULTI))
    copy = programs_by_index[5].steps[0].action
    assert isinstance(copy, CopyAction)
    assert copy.source is not None and (copy.source.kind, copy.source.stage_index) == ("stage", 2)
    tool = programs_by_index[2].steps[0].action
    assert isinstance(tool, CopyAction)
    assert tool.source is not None and (tool.source.kind, tool.source.reference) == (
        "image",
        "tools",
    )
    run = programs_by_index[2].steps[1].action
    assert isinstance(run, RunAction)
    assert [s.reference if s else None for s in run.mount_sources] == [None, "assets"]


def test_workdir_is_created_except_for_root() -> None:
    program = target("FROM scratch\nUSER app\nWORKDIR rel\nWORKDIR sub\nWORKDIR /\n")
    actions = [step.action for step in program.steps]
    assert actions[2] == WorkdirAction("/rel/sub", "app")
    assert actions[3] is None and program.steps[3].empty_layer
    assert program.steps[2].created_by == "WORKDIR /rel/sub"


def test_metadata_steps_change_the_config() -> None:
    text = (
        'FROM alpine\nLABEL a=1 b="two words"\nEXPOSE 80 53/udp\nVOLUME /data\n'
        "USER 1000:1000\nSTOPSIGNAL SIGINT\nMAINTAINER me\n"
        "HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost\n"
    )
    program = target(text, labels={"org.opencontainers.image.title": "demo"})
    config = program.config.to_oci()
    assert config["Labels"] == {
        "a": "1",
        "b": "two words",
        "org.opencontainers.image.title": "demo",
    }
    assert list(config["ExposedPorts"]) == ["53/udp", "80/tcp"]  # sorted as written
    assert config["Volumes"] == {"/data": {}}
    assert (config["User"], config["StopSignal"]) == ("1000:1000", "SIGINT")
    assert config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q localhost"],
        "Interval": 5_000_000_000,
        "Retries": 2,
    }
    assert program.config.author == "me"
    assert [step.created_by for step in program.steps] == [
        "LABEL a=1 b=two words",
        "EXPOSE [53/udp 80/tcp]",
        "VOLUME [/data]",
        "USER 1000:1000",
        "STOPSIGNAL SIGINT",
        "MAINTAINER me",
        "HEALTHCHECK {Test:[CMD-SHELL wget -q localhost] Interval:5s Timeout:0s "
        "StartPeriod:0s StartInterval:0s Retries:2}",
    ]
    assert all(step.empty_layer for step in program.steps)


def test_onbuild_triggers_of_a_parent_stage_run_first() -> None:
    text = "FROM alpine AS base\nONBUILD RUN echo trigger\nFROM base\nRUN echo own\n"
    built = plan(text)
    done = programs(built)
    assert done[0].config.on_build == ("RUN echo trigger",)
    child = done[1]
    assert [(s.description, s.on_build) for s in child.steps] == [
        ("RUN echo trigger", True),
        ("RUN echo own", False),
    ]
    assert child.config.on_build == ()
    assert child.label(child.steps[0]) == "[stage-1 1/2] ONBUILD RUN echo trigger"


def test_onbuild_triggers_of_a_base_image_run_first() -> None:
    image = {**IMAGE, "OnBuild": ["COPY . /app"]}
    built = plan("FROM alpine\nRUN make\n")
    program = programs(built, {"alpine": image})[0]
    first = program.steps[0]
    assert first.on_build and isinstance(first.action, CopyAction)
    assert first.instruction.location.start == 1


def test_cache_inputs_follow_what_the_step_depends_on() -> None:
    def run_key(text: str, **options: Any) -> str:
        return target(text, **options).steps[-1].cache.key("parent")

    base = run_key("FROM alpine\nRUN make\n")
    assert base == run_key("FROM alpine\nRUN make\n")
    assert base != run_key("FROM alpine\nRUN make install\n")
    assert base != run_key("FROM alpine\nENV A=1\nRUN make\n")
    assert base != run_key("FROM alpine\nWORKDIR /src\nRUN make\n")
    assert base != run_key("FROM alpine\nRUN --network=none make\n")
    assert base != run_key("FROM alpine\nARG V=1\nRUN make\n")
    assert base == run_key("FROM alpine\nLABEL unrelated=1\nRUN make\n")
    assert target("FROM alpine\nRUN make\n").steps[-1].cache.key("other") != base


def test_copy_cache_key_needs_the_content_digests() -> None:
    step = target("FROM alpine\nCOPY app.py lib/ /app/\n").steps[-1]
    assert step.cache.content_sources == ("app.py", "lib/")
    with pytest.raises(ValueError, match="content digests missing"):
        step.cache.key("parent")
    first = step.cache.key("parent", {"app.py": "sha256:1", "lib/": "sha256:2"})
    second = step.cache.key("parent", {"app.py": "sha256:9", "lib/": "sha256:2"})
    assert first != second


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "FROM alpine AS a\nRUN --mount=from=b,target=/b make\nFROM alpine AS b\n"
            "FROM alpine\nCOPY --from=a /x /x\n",
            'Dockerfile:2: cannot mount from stage "b", stage needs to be defined before '
            "current command",
        ),
        (
            "FROM alpine\nEXPOSE $PORT/tcp\n",
            'Dockerfile:2: invalid port: "/tcp": no port specified',
        ),
        (
            "FROM alpine AS base\nONBUILD RUNN x\nFROM base\n",
            "Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)",
        ),
    ],
)
def test_plan_errors_are_located(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        programs(plan(text))
    assert str(caught.value) == message
