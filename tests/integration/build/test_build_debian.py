"""Builds from a bootstrapped Debian: a multi-stage build with bash, users and a heredoc script,
and the flask example, whose packages come from the Debian archive and PyPI through `--network
host` in the machine's own network (the only way the tests let a build reach them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.build.errors import StepFailed
from runtime.images.imagestore import ImageStore
from runtime.store import Store
from tests.integration.build.conftest import Builder
from tests.support.builds import run_image, tar_bytes
from tests.support.images import debian_image
from tests.support.layers import overlay_view
from tests.support.namespaces import host_network

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "flask-hello"

DOCKERFILE = """\
FROM debian:bookworm AS build
RUN useradd --create-home --uid 1500 builder
USER builder
WORKDIR /home/builder/out
COPY --chown=builder:builder src/ ./
RUN <<EOF
#!/bin/bash
set -euo pipefail
for f in *.txt; do tr a-z A-Z < "$f" > "${f%.txt}.upper"; done
echo "built by $(id -un) with bash ${BASH_VERSINFO[0]}" > info
EOF

FROM debian:bookworm
RUN useradd --uid 1600 app && mkdir -p /srv && chown app /srv
ENV APP=/srv/app LANG=C.UTF-8
WORKDIR $APP
COPY --from=build /home/builder/out/ ./
ADD data.tar.xz /srv/data/
USER app
VOLUME /srv/state
HEALTHCHECK CMD test -s /srv/app/info
CMD ["/bin/bash", "-c", "cat /srv/app/*.upper /srv/app/info /srv/data/seed.txt; id -un; pwd"]
"""


@pytest.fixture
def debian(store: Store) -> Store:
    debian_image(store)
    return store


def test_multi_stage_debian_build(builder: Builder, debian: Store, tmp_path: Path) -> None:
    context = builder.context(
        {
            "Dockerfile": DOCKERFILE,
            "src/one.txt": "first\n",
            "src/two.txt": "second\n",
            "data.tar.xz": tar_bytes({"seed.txt": "seeded\n"}, mode="w:xz"),
        }
    )
    result = builder.build(context, tags=("multi:1",), network="none")
    images = ImageStore(debian)
    image = images.get("multi:1")
    base = images.get("debian:bookworm")
    assert image.diff_ids[: len(base.diff_ids)] == base.diff_ids
    assert len(image.layers) == len(base.layers) + 4  # RUN, WORKDIR, COPY --from, ADD
    config = image.runtime_config
    assert config["User"] == "app" and config["WorkingDir"] == "/srv/app"
    assert config["Volumes"] == {"/srv/state": {}}
    assert config["Healthcheck"]["Test"] == ["CMD-SHELL", "test -s /srv/app/info"]
    history = image.config["history"][len(base.config["history"]) :]
    assert [e.get("empty_layer", False) for e in history] == [
        False, True, False, False, False, True, True, True, True,
    ]  # fmt: skip
    with overlay_view(images.lower_dirs(image), tmp_path / "view") as root:
        copied = os.lstat(root / "srv/app/one.upper")
        assert (copied.st_uid, copied.st_gid) == (1500, 1500)  # COPY --from keeps owners
        assert (root / "srv/data/seed.txt").read_text() == "seeded\n"
        assert not (root / "srv/data/data.tar.xz").exists()
        assert not (root / "dev/pipes").exists()  # the heredoc script was never in a layer

    output = run_image(debian, result.image, tmp_path / "run")
    assert output.status.code == 0, output.stderr
    assert output.stdout == "FIRST\nSECOND\nbuilt by builder with bash 5\nseeded\napp\n/srv/app\n"


def test_flask_example_installs_through_the_host_network(
    builder: Builder, debian: Store, tmp_path: Path
) -> None:
    # The tests' base stands in for the slim one, with this machine's CA for PyPI over TLS.
    debian_image(debian, name="debian:bookworm-slim", trust_host=True)

    # In the tests' private network namespace, nothing outside is reachable.
    with pytest.raises(StepFailed, match="did not complete successfully: exit code: 100"):
        builder.build(EXAMPLE, network="none")

    with host_network():
        result = builder.build(EXAMPLE, tags=("flask-hello:latest",), network="host")
    assert "Successfully installed" in builder.output and "Flask-3" in builder.output
    config = result.image.runtime_config
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert "NAME=World" in config["Env"]
    assert config["Cmd"] == ["python", "app.py"]
    assert (
        "PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        in config["Env"]
    )
    check = (
        "/venv/bin/python",
        "-c",
        "import app; print(app.app.test_client().get('/').get_data(as_text=True))",
    )
    output = run_image(debian, result.image, tmp_path / "run", command=check)
    assert output.status.code == 0, output.stderr
    assert output.stdout.startswith("<h3>Hello World!</h3><b>Hostname:</b> ")
