"""Hostile Dockerfiles and build contexts: each fails with its exact message, or plans, in
bounded time and memory; reading a context changes nothing in it.

`tests/hostile/dockerfiles/<case>.Dockerfile` with `<case>.txt`: the error line, or
`planned` for input that must parse and plan (a COPY from outside the context is
planned: the executor confines sources to the context, as BuildKit does).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.build.build_context import MAX_FILE_SIZE, load_build_context
from runtime.build.errors import BuildError
from tests.support.hostile_compose import fingerprint
from tests.unit.dockerbuild.corpus import plan_everything

CORPUS = Path(__file__).resolve().parents[2] / "hostile" / "dockerfiles"
CASES = sorted(CORPUS.glob("*.Dockerfile"))
FROM = "FROM busybox\n"


def outcome(text: bytes) -> str:
    """What planning a Dockerfile gives: its error line, or `planned`."""
    try:
        plan_everything(text)
    except BuildError as error:
        return str(error)
    return "planned"


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) + len(GENERATED) + len(CONTEXTS) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.stem)
def test_hostile_dockerfile(path: Path) -> None:
    expected = path.with_suffix(".txt").read_text().rstrip("\n")
    assert outcome(path.read_bytes()) == expected


GENERATED: dict[str, tuple[Callable[[], str], str]] = {
    "line-of-10mb": (lambda: FROM + "RUN echo " + "a" * 10_000_000 + "\n", "planned"),
    "continuations-200k": (
        lambda: FROM + "RUN echo \\\n" + "a \\\n" * 200_000 + "end\n",
        "planned",
    ),
    "stages-10k": (lambda: "".join(f"FROM busybox AS s{i}\n" for i in range(10_000)), "planned"),
    "heredoc-of-1m-lines": (
        lambda: FROM + "RUN <<EOF\n" + "echo a\n" * 1_000_000 + "EOF\n",
        "planned",
    ),
    "arg-name-of-1mb": (lambda: "ARG " + "A" * 1_000_000 + "=1\n" + FROM, "planned"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_huge_dockerfile_is_bounded(name: str) -> None:
    make, expected = GENERATED[name]
    assert outcome(make().encode()) == expected


def _fifo(context: Path) -> str:
    os.mkfifo(context / "Dockerfile")
    return f"failed to read dockerfile: {context}/Dockerfile is not a regular file"


def _device(context: Path) -> str:
    (context / "Dockerfile").symlink_to("/dev/zero")
    return f"failed to read dockerfile: {context}/Dockerfile is not a regular file"


def _too_large(context: Path) -> str:
    with open(context / "Dockerfile", "wb") as handle:
        handle.truncate(MAX_FILE_SIZE + 1)
    return f"failed to read dockerfile: {context}/Dockerfile is larger than 32 MiB"


def _ignore_fifo(context: Path) -> str:
    # Not a regular file: taken as no ignore file at all, and never opened.
    (context / "Dockerfile").write_text(FROM)
    os.mkfifo(context / ".dockerignore")
    return ""


def _directory(context: Path) -> str:
    (context / "Dockerfile").mkdir()
    return f"failed to read dockerfile: {context}/Dockerfile is a directory"


CONTEXTS: dict[str, Callable[[Path], str]] = {
    "dockerfile-is-a-fifo": _fifo,
    "dockerfile-is-a-device": _device,
    "dockerfile-over-the-size-limit": _too_large,
    "dockerignore-is-a-fifo": _ignore_fifo,
    "dockerfile-is-a-directory": _directory,
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_hostile_context_file(name: str, tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    expected = CONTEXTS[name](context)
    before = fingerprint(tmp_path)
    if expected:
        with pytest.raises(BuildError) as caught:
            load_build_context(context)
        assert str(caught.value) == expected
    else:
        assert load_build_context(context).ignore_patterns == ()
    assert fingerprint(tmp_path) == before


def test_backtracking_ignore_patterns_walk_a_deep_context(tmp_path: Path) -> None:
    # Go's regexps (RE2) run in linear time; a backtracking engine would not finish these.
    context = tmp_path / "context"
    deep = context.joinpath(*(["a"] * 40))
    deep.mkdir(parents=True)
    (deep / "y").write_text("y")
    (deep / ("a" * 60)).write_text("z")
    (context / "Dockerfile").write_text(FROM)
    (context / ".dockerignore").write_text(
        "**/" * 12 + "x\n" + "*a*a*a*a*a*a*a*a*a*a*b\n" + "**/*a*a*a*a*a*a*a*a*b\n"
        "**/a/**/a/**/a/**/a/**/a/**/a/**/b\n" + "*/" * 10 + "z\n"
    )
    before = fingerprint(tmp_path)
    walked = [entry.path for entry in load_build_context(context).walk()]
    assert walked[-1].endswith("/y") and len(walked) == 44
    assert fingerprint(tmp_path) == before
