"""Dockerfile parsing and build planning speed, next to the dockerfile-parse library.

Run: .venv/bin/python bench/build_plan.py [--rounds N]

Parses the test corpus, a 20-step Dockerfile and a 2 000-instruction one with
both parsers in the same process and prints per-file times and ratios. Our
parse includes directives, heredocs, flags and typed checks; "plan" adds the
stage graph and the expansion of every step (what a no-change rebuild
computes before it can look up its cache).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from dockerfile_parse import DockerfileParser

from runtime.build.dispatch import plan_stage
from runtime.build.dockerfile import parse_dockerfile
from runtime.build.planner import plan_build
from runtime.build.steps import StageProgram, StageState

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "dockerfiles" / "valid"
BASE_IMAGE = {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["sh"]}


def twenty_steps() -> str:
    lines = ["FROM debian:bookworm-slim", "ARG VERSION=1.0", "WORKDIR /app"]
    for index in range(17):
        if index % 3 == 0:
            lines.append(f"COPY part{index}/ ./part{index}/")
        elif index % 3 == 1:
            lines.append(f"RUN echo step {index} version $VERSION > /tmp/step{index}")
        else:
            lines.append(f"ENV STEP{index}=value{index}")
    lines.append('CMD ["python", "-m", "app"]')
    return "\n".join(lines) + "\n"


def large() -> str:
    lines = ["FROM debian:bookworm-slim AS build"]
    for index in range(2000):
        lines.append(f'RUN echo "line {index}" \\\n    && true  # {index}')
    return "\n".join(lines) + "\n"


def plan_all(text: str) -> None:
    plan = plan_build(parse_dockerfile(text))
    done: dict[int, StageProgram] = {}
    for planned in plan.needed:
        if planned.base.stage_index is not None:
            base = done[planned.base.stage_index].final
        else:
            base = StageState.from_image(None if planned.base.kind == "scratch" else BASE_IMAGE)
        done[planned.index] = plan_stage(plan, planned.index, base)


def peer(text: str) -> None:
    _ = DockerfileParser(fileobj=io.BytesIO(text.encode())).structure


def timed(function: Callable[[str], None], text: str, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function(text)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    inputs = {
        "20-step Dockerfile": twenty_steps(),
        f"corpus ({len(list(CORPUS.glob('*.Dockerfile')))} files, one after the other)": "",
        "2000 RUN instructions": large(),
    }
    print(f"median of {rounds} rounds, milliseconds")
    print(f"{'input':44} {'ours parse':>11} {'peer parse':>11} {'ratio':>6} {'ours plan':>10}")
    for name, text in inputs.items():
        if not text:
            files = [path.read_text() for path in sorted(CORPUS.glob("*.Dockerfile"))]
            ours = sum(timed(parse_dockerfile, f, rounds) for f in files)
            theirs = sum(timed(peer, f, rounds) for f in files)
            planned = float("nan")
        else:
            ours = timed(parse_dockerfile, text, rounds)
            theirs = timed(peer, text, rounds)
            planned = timed(plan_all, text, rounds)
        print(f"{name:44} {ours:11.3f} {theirs:11.3f} {ours / theirs:5.2f}x {planned:10.3f}")


if __name__ == "__main__":
    main()
