"""Building as a user types it: `pycompose image build` (the seed's `docker build -t helloworld .`)
and `pycompose build` of a Compose file's services."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.builds import write_context
from tests.support.images import rootfs_tar_bytes
from tests.support.rootfs import make_busybox_rootfs

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")
Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("PYCOMPOSE_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("PYCOMPOSE_RUN_ROOT", str(tmp_path / "run"))

    def run(
        *args: str, ok: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [PYCOMPOSE, *args], capture_output=True, text=True, check=False, cwd=cwd
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    tar = tmp_path / "busybox.tar"
    tar.write_bytes(rootfs_tar_bytes(make_busybox_rootfs(tmp_path / "busybox")))
    run("image", "import", "--change", "CMD sh", str(tar), "busybox:latest")
    return run


HELLO = """\
FROM busybox AS base
ARG WHO=nobody
RUN echo "hello $WHO" > /greeting
FROM base AS final
LABEL stage=final
CMD ["cat", "/greeting"]
FROM base AS other
RUN echo other > /other
"""


def test_image_build_tag_quiet_and_cache(cli: Cli, tmp_path: Path) -> None:
    context = write_context(tmp_path / "hello", {"Dockerfile": HELLO})
    built = cli(
        "image", "build", "-t", "helloworld", "--build-arg", "WHO=world", "--target", "final",
        "--label", "team=build", "--network", "none", str(context),
    )  # fmt: skip
    lines = built.stdout.splitlines()
    assert lines[0] == "[base 1/2] FROM docker.io/library/busybox:latest"
    assert '[base 2/2] RUN echo "hello world" > /greeting DONE' in " ".join(lines)
    assert "  | " not in built.stdout  # the RUN printed nothing
    assert "naming to docker.io/library/helloworld:latest" in lines
    image_id = lines[-1]
    assert image_id.startswith("sha256:") and len(image_id) == 71
    assert "other" not in built.stdout  # not a stage the target needs

    quiet = cli(
        "image", "build", "-q", "-t", "helloworld", "--build-arg", "WHO=world", "--target",
        "final", "--label", "team=build", "--network", "none", str(context),
    )  # fmt: skip
    assert quiet.stdout == image_id + "\n" and quiet.stderr == ""
    inspect = json.loads(cli("image", "inspect", "helloworld").stdout)[0]
    assert inspect["Id"] == image_id
    assert inspect["Config"]["Labels"] == {"stage": "final", "team": "build"}
    assert inspect["Config"]["Cmd"] == ["cat", "/greeting"]

    # Another argument value is another RUN; -f names the Dockerfile.
    (tmp_path / "Other.Dockerfile").write_text(HELLO)
    other = cli(
        "image", "build", "-t", "hello:other", "-f", str(tmp_path / "Other.Dockerfile"),
        "--build-arg", "WHO=you", "--target", "other", "--network", "none", str(context),
    )  # fmt: skip
    assert "CACHED" not in other.stdout.split("[other")[0]
    assert "[other 1/1] RUN echo other > /other DONE" in other.stdout

    df = cli("system", "df").stdout
    assert any(line.startswith("Build Cache") for line in df.splitlines())
    pruned = cli("system", "prune", "-f").stdout
    assert "Deleted build cache objects: 3" in pruned
    rebuilt = cli("image", "build", "--build-arg", "WHO=world", "--target", "final",
                  "--label", "team=build", "--network", "none", str(context))  # fmt: skip
    assert "CACHED" not in rebuilt.stdout
    assert rebuilt.stdout.splitlines()[-1] != image_id  # new history times


def test_failing_build_is_one_line_and_tags_nothing(cli: Cli, tmp_path: Path) -> None:
    context = write_context(
        tmp_path / "broken",
        {"Dockerfile": "FROM busybox\nRUN echo about to fail; exit 7\nRUN echo unreachable\n"},
    )
    failed = cli("image", "build", "-t", "broken:1", "--network", "none", str(context), ok=False)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == (
        'pycompose: Dockerfile:2: process "/bin/sh -c echo about to fail; exit 7" '
        "did not complete successfully: exit code: 7"
    )
    assert "about to fail" in failed.stdout and "unreachable" not in failed.stdout
    assert "broken" not in cli("image", "ls").stdout
    quiet = cli("image", "build", "-q", "--network", "none", str(context), ok=False)
    assert quiet.stdout == ""
    assert " > [2/3] RUN echo about to fail; exit 7: " in quiet.stderr
    assert "about to fail" in quiet.stderr

    missing = cli("image", "build", str(tmp_path / "nowhere"), ok=False)
    assert missing.stderr.strip().startswith("pycompose: unable to prepare context")
    bad = write_context(tmp_path / "bad", {"Dockerfile": "FROM busybox\nCOPY nothing.txt /\n"})
    result = cli("image", "build", "--network", "none", str(bad), ok=False)
    assert result.stderr.strip() == (
        'pycompose: Dockerfile:2: failed to compute cache key: "/nothing.txt": not found'
    )


COMPOSE = """\
services:
  web:
    build:
      context: ./web
      dockerfile: Containerfile
      args:
        WHO: compose
      target: final
      labels:
        from: compose
      network: none
      tags: ["registry.example/web:extra"]
  inline:
    build:
      context: ./web
      network: none
      dockerfile_inline: |
        FROM busybox
        RUN echo inline > /inline
  db:
    image: busybox:latest
"""


def test_compose_build(cli: Cli, tmp_path: Path) -> None:
    project = write_context(
        tmp_path / "shop",
        {"compose.yaml": COMPOSE, "web/Containerfile": HELLO, "web/.dockerignore": "junk\n"},
    )
    built = cli("build", cwd=project)
    assert "Building web" in built.stdout and "Building inline" in built.stdout
    assert "Building db" not in built.stdout
    names = cli("image", "ls", "--format", "json").stdout
    listed = {(row["Repository"], row["Tag"]) for row in map(json.loads, names.splitlines())}
    assert {
        ("shop-web", "latest"),
        ("registry.example/web", "extra"),
        ("shop-inline", "latest"),
    } <= listed
    inspect = json.loads(cli("image", "inspect", "shop-web").stdout)[0]
    assert inspect["Config"]["Labels"] == {"stage": "final", "from": "compose"}

    again = cli("build", "web", cwd=project)
    assert "CACHED [base 2/2]" in again.stdout and "Building inline" not in again.stdout
    assert cli("build", "-q", "web", cwd=project).stdout == ""
    fresh = cli("build", "--no-cache", "--build-arg", "WHO=cli", "web", cwd=project)
    assert "CACHED" not in fresh.stdout
    unknown = cli("build", "nope", cwd=project, ok=False)
    assert unknown.returncode == 1 and "no such service: nope" in unknown.stderr
