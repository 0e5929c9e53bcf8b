"""The filesystem steps — RUN, COPY/ADD, WORKDIR — expanded into actions and history entries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from runtime.build import instructions as model
from runtime.build.dockerignore import clean_path
from runtime.build.errors import StepError
from runtime.build.expansion import Expander
from runtime.build.gotext import NumberError, format_list, parse_uint
from runtime.build.heredocs import chomp, find_heredoc
from runtime.build.image_config import ImageConfig
from runtime.build.mounts import MountError, resolve_mount
from runtime.build.planner import BuildPlan, Source
from runtime.build.scope import ArgValue, proxy_env
from runtime.build.steps import CopyAction, InlineFile, RunAction, WorkdirAction

_SYMBOL = r"[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+"
_SYMBOLIC_MODE = re.compile(rf"{_SYMBOL}(?:,{_SYMBOL})*\Z")
_PIPES = "/dev/pipes/"


def normalize_path(parent: str, path: str, keep_slash: bool) -> str:
    """BuildKit's NormalizePath on Linux: a relative path is joined to `parent` and cleaned.

    An absolute path is kept as written; `keep_slash` keeps a trailing `/` or `/.`.
    """
    original = path
    parent = parent or "/"
    if not parent.startswith("/"):
        parent = clean_path("/" + parent)
    if not path:
        path = parent
    if not path.startswith("/"):
        path = clean_path(parent + "/" + path)
    if keep_slash:
        if original.endswith("/") and not path.endswith("/"):
            path += "/"
        elif original.endswith("/."):
            if path != "/":
                path += "/"
            path += "."
    return path


def history_args(build_args: tuple[ArgValue, ...], env: Mapping[str, str]) -> str:
    """The `|N K=V ` prefix BuildKit puts before a RUN command in history (empty without ARGs)."""
    values: dict[str, str] = {}
    for arg in build_args:
        current = env.get(arg.key)
        values[arg.key] = current if current is not None else (arg.value or "")
    if not values:
        return ""
    return " ".join([f"|{len(values)}", *(f"{k}={v}" for k, v in values.items())]) + " "


def _defined_before(source: Source, stage_index: int, message: str) -> None:
    if source.stage_index is not None and source.stage_index >= stage_index:
        raise StepError(message)


def _command(command: model.CommandLine) -> tuple[tuple[str, ...], tuple[InlineFile, ...]]:
    """RUN's arguments with here-documents folded in, and any script file to create."""
    args = command.args or ()
    if not command.files:
        return args, ()
    if len(args) != 1 or not command.prepend_shell:
        raise StepError(f"parsing produced an invalid run command: {format_list(args)}")
    first = command.files[0]
    if find_heredoc(args[0]) is not None:
        data = chomp(first.data) if first.chomp else first.data
        if data.startswith("#!"):
            # A script with a shebang is written to a file and run as it is.
            return (_PIPES + first.name,), (InlineFile(_PIPES + first.name, data),)
        return (data,), ()
    text = args[0]
    for heredoc in command.files:
        text += "\n" + heredoc.data + heredoc.name
    return (text,), ()


def plan_run(
    instruction: model.RunInstruction,
    expander: Expander,
    config: ImageConfig,
    working_dir: str,
    build_args: tuple[ArgValue, ...],
    plan: BuildPlan,
    stage_index: int,
) -> tuple[RunAction, str]:
    """The action of a RUN and its history entry; only `--mount` values are expanded."""
    mounts = []
    sources: list[Source | None] = []
    for spec in instruction.mounts:
        try:
            mount = resolve_mount(spec, expander.word)
        except MountError as error:
            raise StepError(str(error)) from None
        source = None
        if mount.source_stage:
            source = plan.source_for(mount.source_stage, by_index=False)
            _defined_before(
                source,
                stage_index,
                f'cannot mount from stage "{mount.source_stage}" to "{mount.target}", '
                "stage needs to be defined before current command",
            )
        mounts.append(mount)
        sources.append(source)
    args, files = _command(instruction.command)
    argv = config.shell_for(args) if instruction.command.prepend_shell else args
    network = instruction.network
    if network == "default":
        network = plan.options.network
    action = RunAction(
        argv=argv,
        env=tuple(f"{k}={v}" for k, v in expander.env.items()),
        working_dir=working_dir,
        user=config.user,
        network=network,
        security=instruction.security,
        mounts=tuple(mounts),
        mount_sources=tuple(sources),
        devices=instruction.devices,
        files=files,
        proxy_env=proxy_env(plan.options.build_args),
    )
    created_by = "RUN " + history_args(build_args, expander.env) + " ".join(argv) + " # buildkit"
    return action, created_by


def _file_mode(chmod: str) -> int | None:
    if not chmod:
        return None
    message = (
        f"invalid chmod parameter: '{chmod}'. it should be octal string and between 0 and 07777"
    )
    try:
        value = parse_uint(chmod, 8, 32)
    except NumberError:
        if _SYMBOLIC_MODE.match(chmod):
            return None  # a symbolic mode (u+x,g-w) is applied per file by the executor
        raise StepError(message) from None
    if value > 0o7777:
        raise StepError(message)
    return value


def is_url(source: str) -> bool:
    """Whether an ADD source is fetched over HTTP(S)."""
    return source.startswith(("http://", "https://")) and not is_git(source)


def is_git(source: str) -> bool:
    """Whether a source names a Git repository."""
    if source.startswith(("git@", "git://", "ssh://")):
        return True
    return source.startswith(("http://", "https://")) and source.split("#", 1)[0].endswith(".git")


def _destination(destination: str, working_dir: str) -> str:
    if destination.startswith("/"):
        return normalize_path("/", destination, keep_slash=True)
    if destination in (".", ""):
        destination = "./"
    return normalize_path(working_dir, destination, keep_slash=True)


def plan_copy(
    instruction: model.FileInstruction,
    expander: Expander,
    working_dir: str,
    plan: BuildPlan,
    stage_index: int,
) -> tuple[CopyAction, str]:
    """The action of a COPY or ADD and its history entry."""
    add = isinstance(instruction, model.AddInstruction)
    chown = expander.word(instruction.chown)
    chmod = expander.word(instruction.chmod)
    checksum = ""
    keep_git_dir: bool | None = None
    unpack = add
    if isinstance(instruction, model.AddInstruction):
        checksum = expander.word(instruction.checksum)
        keep_git_dir = instruction.keep_git_dir
        if instruction.unpack is not None:
            unpack = instruction.unpack
    sources = tuple(expander.word(source) for source in instruction.sources)
    destination = expander.word(instruction.destination)
    contents = tuple(
        replace(content, data=expander.document(content.data)) if content.expand else content
        for content in instruction.contents
    )
    mode = _file_mode(chmod)
    if checksum:
        if len(sources) != 1:
            raise StepError("checksum can't be specified for multiple sources")
        if not (is_url(sources[0]) or is_git(sources[0])):
            raise StepError("checksum requires HTTP(S) or Git sources")
    source: Source | None = None
    parents = False
    if isinstance(instruction, model.CopyInstruction):
        parents = instruction.parents
        for path in sources:
            if is_git(path):
                raise StepError("source can't be a git ref for COPY")
            if is_url(path):
                raise StepError("source can't be a URL for COPY")
        if instruction.source_stage:
            source = plan.source_for(instruction.source_stage, by_index=True)
            _defined_before(
                source,
                stage_index,
                f'cannot copy from stage "{instruction.source_stage}", it needs to be defined '
                f'before current stage "{plan.stages[stage_index].stage.display_name}"',
            )
    action = CopyAction(
        add=add,
        sources=sources,
        contents=contents,
        destination=_destination(destination, working_dir),
        source=source,
        chown=chown,
        chmod=chmod,
        mode=mode,
        link=instruction.link,
        parents=parents,
        exclude=instruction.exclude,
        checksum=checksum,
        keep_git_dir=keep_git_dir,
        unpack=unpack,
    )
    words = ["ADD" if add else "COPY"]
    if parents:
        words.append("--parents")
    if chown:
        words.append("--chown=" + chown)
    if chmod:
        words.append("--chmod=" + chmod)
    words += [*sources, *("<<" + content.path for content in contents), destination]
    return action, " ".join(words) + " # buildkit"


def plan_workdir(path: str, config: ImageConfig) -> tuple[str, WorkdirAction | None]:
    """The new working directory, and the action creating it (none for `/`)."""
    working_dir = normalize_path(config.working_dir, path, keep_slash=False)
    if working_dir == "/":
        return working_dir, None
    return working_dir, WorkdirAction(working_dir, config.user)
