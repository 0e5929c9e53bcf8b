"""Parse a Dockerfile into build stages of typed instructions: the entry point of the parser.

`parse_dockerfile` runs the whole front half: directives and syntax
(`runtime.build.parser`), then typing and checking of each instruction
(`runtime.build.conversion`), then grouping into stages. ARGs before the
first FROM are the global (meta) arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from runtime.build.conversion import InstructionError, convert
from runtime.build.directives import Directives
from runtime.build.errors import DockerfileError
from runtime.build.instructions import (
    ArgInstruction,
    FromInstruction,
    Instruction,
    Location,
)
from runtime.build.parser import ParseWarning, parse_syntax


@dataclass(frozen=True)
class Stage:
    """One build stage: its FROM and the instructions up to the next FROM."""

    index: int
    from_instruction: FromInstruction
    instructions: tuple[Instruction, ...]

    @property
    def name(self) -> str:
        """The stage's name from `AS name` (lower-cased), or empty."""
        return self.from_instruction.stage_name

    @property
    def display_name(self) -> str:
        """The name, or `stage-N` for an unnamed stage, as BuildKit labels it."""
        return self.name or f"stage-{self.index}"

    @property
    def base_name(self) -> str:
        """The FROM argument as written (an image, a stage name, `scratch`, or with $ARGs)."""
        return self.from_instruction.base_name

    @property
    def platform(self) -> str:
        """The `--platform` value as written, or empty."""
        return self.from_instruction.platform

    @property
    def location(self) -> Location:
        """The lines of the stage's FROM."""
        return self.from_instruction.location

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "index": self.index,
            "name": self.name,
            "from": self.from_instruction.to_dict(),
            "instructions": [instruction.to_dict() for instruction in self.instructions],
        }


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: directives, global ARGs and stages."""

    filename: str
    directives: Directives
    meta_args: tuple[ArgInstruction, ...]
    stages: tuple[Stage, ...]
    warnings: tuple[ParseWarning, ...] = ()

    @property
    def escape(self) -> str:
        """The escape character in force."""
        return self.directives.escape

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the test corpus compares this)."""
        return {
            "directives": [
                {"name": d.name, "value": d.value, "line": d.line} for d in self.directives.all
            ],
            "escape": self.escape,
            "meta_args": [arg.to_dict() for arg in self.meta_args],
            "stages": [stage.to_dict() for stage in self.stages],
            "warnings": [{"message": w.message, "line": w.line} for w in self.warnings],
        }


def parse_dockerfile(text: str | bytes, filename: str = "Dockerfile") -> Dockerfile:
    """Parse and check a whole Dockerfile; raises DockerfileError (`Dockerfile:7: ...`)."""
    if not text:
        raise DockerfileError("the Dockerfile cannot be empty", filename)
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    nul = raw.find(b"\0")
    if nul >= 0:
        # No instruction can carry one: the kernel cuts arguments and paths at a NUL.
        line = raw.count(b"\n", 0, nul) + 1
        raise DockerfileError(
            "the Dockerfile holds a NUL character (binary, not text)", filename, line
        )
    tree = parse_syntax(text, filename)
    meta_args: list[ArgInstruction] = []
    stages: list[tuple[FromInstruction, list[Instruction]]] = []
    for node in tree.nodes:
        try:
            instruction = convert(node)
        except InstructionError as error:
            raise DockerfileError(str(error), filename, node.start_line, node.end_line) from None
        if isinstance(instruction, FromInstruction):
            stages.append((instruction, []))
        elif not stages and isinstance(instruction, ArgInstruction):
            meta_args.append(instruction)
        elif not stages:
            raise DockerfileError(
                "no build stage in current context", filename, node.start_line, node.end_line
            )
        else:
            stages[-1][1].append(instruction)
    if not stages:
        raise DockerfileError("dockerfile contains no stages to build", filename)
    return Dockerfile(
        filename=filename,
        directives=tree.directives,
        meta_args=tuple(meta_args),
        stages=tuple(
            Stage(index, from_instruction, tuple(body))
            for index, (from_instruction, body) in enumerate(stages)
        ),
        warnings=tree.warnings,
    )


def parse_trigger(expression: str, at: Location, filename: str = "Dockerfile") -> Instruction:
    """An ONBUILD trigger from a base image, as an instruction placed at the stage's FROM."""
    tree = parse_syntax(expression, filename)
    if len(tree.nodes) != 1:
        raise DockerfileError("onbuild trigger should be a single expression", filename, at.start)
    node = replace(tree.nodes[0], start_line=at.start, end_line=at.end)
    try:
        instruction = convert(node)
    except InstructionError as error:
        raise DockerfileError(str(error), filename, at.start, at.end) from None
    if isinstance(instruction, FromInstruction):
        raise DockerfileError("FROM isn't allowed as an ONBUILD trigger", filename, at.start)
    return instruction
