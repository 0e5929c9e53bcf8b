"""Debian base images from the Debian archive (mmdebstrap), and the pull that points at them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.images.bootstrap import mmdebstrap_argv, parse_debian_name
from runtime.images.errors import RegistryError
from runtime.images.imagestore import ImageStore
from runtime.images.pull import pull_image
from runtime.store import Layout, Store
from tests.support.images import debian_image


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(Layout(root=tmp_path / "root", run_root=tmp_path / "run"))


@pytest.mark.network
def test_debian_image_is_like_the_official_one(store: Store) -> None:
    image = debian_image(store, "bookworm")
    assert image.repo_tags == ["docker.io/library/debian:bookworm"]
    assert image.runtime_config == {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Cmd": ["bash"],
    }
    assert len(image.layers) == 1 and image.size > 50_000_000
    [lower] = ImageStore(store).lower_dirs(image)
    assert (lower / "etc/debian_version").read_text().startswith("12.")
    assert (lower / "usr/bin/bash").is_file() and (lower / "usr/bin/apt-get").is_file()
    assert ImageStore(store).get("debian:bookworm").id == image.id


def test_names_and_commands() -> None:
    assert parse_debian_name("debian:bookworm-slim") == ("bookworm", True)
    assert parse_debian_name("debian") == ("stable", False)
    argv = mmdebstrap_argv(
        "trixie",
        Path("/tmp/x.tar"),
        slim=True,
        include=["curl", "ca-certificates"],
        mirror="http://mirror.example/debian",
    )
    assert argv[-3:] == ["trixie", "/tmp/x.tar", "http://mirror.example/debian"]
    assert "--include=curl,ca-certificates" in argv and "--variant=minbase" in argv
    assert "--dpkgopt=path-exclude=/usr/share/man/*" in argv


def test_pull_of_debian_without_a_registry_points_at_bootstrap(store: Store) -> None:
    with pytest.raises(RegistryError, match=r"pycompose image bootstrap debian:bookworm-slim"):
        pull_image(store, "debian:bookworm-slim")
