"""Debian base images from the Debian archive (mmdebstrap), and the pull that points at them."""

from __future__ import annotations

import io
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


def test_extra_ca_certificates_are_a_second_layer_shared_between_images(store: Store) -> None:
    from runtime.images.bootstrap import bootstrap_from_rootfs
    from runtime.images.certificates import CertificateBundle
    from tests.support.certificates import make_certificate
    from tests.support.images import rootfs_tar_bytes

    rootfs = Path(store.layout.root).parent / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/debian_version").write_text("12.8\n")
    tar = rootfs_tar_bytes(rootfs)
    bundle = CertificateBundle(make_certificate("proxy CA"), 1)
    images = ImageStore(store)
    made = [
        bootstrap_from_rootfs(
            store, io.BytesIO(tar), suite="bookworm", name=name, ca_certificates=bundle
        )
        for name in ("debian:bookworm", "debian:bookworm-slim")
    ]
    assert [len(image.layers) for image in made] == [2, 2]
    assert made[0].layers[1] == made[1].layers[1]
    history = images.get("debian:bookworm").config["history"]
    assert history[-1]["created_by"] == f"# CA certificates: 1 certificate, {bundle.digest}"
    _, certificates = images.lower_dirs(made[0])
    assert (certificates / "etc/ssl/certs/ca-certificates.crt").read_bytes() == bundle.pem
    assert (certificates / "etc/pip.conf").read_text().endswith("/ca-certificates.crt\n")
