"""The image commands as a user types them: import, ls, tag, inspect, history, save, load,
push, pull, login, logout, rm, prune, system df."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.images import rootfs_tar_bytes
from tests.support.registry import RegistryServer
from tests.support.rootfs import make_busybox_rootfs

PYCOMPOSE = str(Path(sys.executable).parent / "pycompose")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYCOMPOSE_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("PYCOMPOSE_RUN_ROOT", str(tmp_path / "run"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))

    def run(
        *args: str, input: bytes | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        raw = subprocess.run([PYCOMPOSE, *args], input=input, capture_output=True, check=False)
        result = subprocess.CompletedProcess(
            raw.args, raw.returncode, raw.stdout.decode(errors="replace"), raw.stderr.decode()
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def rootfs_tar(tmp_path: Path) -> Path:
    tar = tmp_path / "rootfs.tar"
    tar.write_bytes(rootfs_tar_bytes(make_busybox_rootfs(tmp_path / "rootfs")))
    return tar


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path / "registry", htpasswd={"bob": "builder"}).start()
    try:
        yield server
    finally:
        server.stop()


def test_local_image_lifecycle(cli, rootfs_tar: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image_id = cli("image", "import", "-c", 'CMD ["sh"]', str(rootfs_tar), "box:1").stdout.strip()
    assert image_id.startswith("sha256:")
    cli("image", "tag", "box:1", "localhost:5000/team/box:dev")
    listing = cli("image", "ls").stdout
    assert "box" in listing and "localhost:5000/team/box" in listing and image_id[7:19] in listing
    assert cli("image", "ls", "-q").stdout.split() == [image_id[7:19]]
    [document] = json.loads(cli("image", "inspect", "box:1").stdout)
    assert document["Id"] == image_id and document["Config"]["Cmd"] == ["sh"]
    assert sorted(document["RepoTags"]) == ["box:1", "localhost:5000/team/box:dev"]
    assert "Imported from -" in cli("image", "history", "box:1").stdout
    archive = tmp_path / "box.tar"
    cli("image", "save", "-o", str(archive), "box:1")
    assert "Untagged: box:1" in cli("image", "rm", "box:1").stdout
    removed = cli("image", "rm", "localhost:5000/team/box:dev").stdout
    assert f"Deleted: {image_id}" in removed
    assert "Loaded image: box:1" in cli("image", "load", "-i", str(archive)).stdout
    streamed = subprocess.run(
        [PYCOMPOSE, "image", "save", "box:1"], capture_output=True, check=True
    ).stdout
    assert streamed[:512] and tarfile.is_tarfile(io.BytesIO(streamed))
    cli("image", "rm", "box:1")
    assert "Loaded image: box:1" in cli("image", "load", input=gzip.compress(streamed)).stdout
    assert re.search(r"^Images +1 ", cli("system", "df").stdout, re.MULTILINE)
    missing = cli("image", "inspect", "nothing:here", ok=False)
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == "pycompose: no such image: nothing:here"
    )
    bad = cli("image", "tag", "box:1", "Bad Name", ok=False)
    assert (
        bad.returncode == 1
        and "invalid reference format" in bad.stderr
        and "Traceback" not in bad.stderr
    )
    cli("image", "rm", "box:1")
    pruned = cli("system", "prune", "-a", "-f").stdout
    assert "Total reclaimed space" in pruned
    assert cli("image", "ls", "-q").stdout == ""


def test_login_push_pull_logout(
    cli, rootfs_tar: Path, registry: RegistryServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    name = f"{registry.host}/team/box:1"
    cli("image", "import", str(rootfs_tar), name)
    refused = cli("image", "push", "-q", name, ok=False)
    assert refused.returncode == 1 and f"pycompose login {registry.host}" in refused.stderr
    wrong = cli("login", "-u", "bob", "--password-stdin", registry.host, input=b"nope\n", ok=False)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert (
        "Login Succeeded"
        in cli("login", "-u", "bob", "--password-stdin", registry.host, input=b"builder\n").stdout
    )
    config = json.loads((tmp_path / "docker/config.json").read_text())
    assert registry.host in config["auths"]
    digest = cli("image", "push", "-q", name).stdout.strip()
    assert digest.startswith("sha256:")
    cli("image", "rm", name)
    pulled = cli("image", "pull", "-q", name)
    assert pulled.stdout.strip() == name
    assert (
        f"{registry.host}/team/box@{digest}"
        in json.loads(cli("image", "inspect", name).stdout)[0]["RepoDigests"]
    )
    assert "Removing login credentials" in cli("logout", registry.host).stdout
    assert registry.host not in json.loads((tmp_path / "docker/config.json").read_text())["auths"]
    assert os.stat(tmp_path / "docker/config.json").st_mode & 0o777 == 0o600


def test_bootstrap_failure_is_clear_and_leaves_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "image", "bootstrap", "debian:bookworm", "--mirror", "http://127.0.0.1:1/debian", ok=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("pycompose: bootstrapping Debian bookworm: mmdebstrap")
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "root/tmp").iterdir()) == []
    assert list((tmp_path / "root/blobs/sha256").iterdir()) == []


def test_bootstrap_with_a_bad_ca_file_fails_before_any_download(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "proxy.txt"
    notes.write_text("not a certificate\n")
    for path, why in ((notes, "no PEM certificate in it"), (tmp_path / "none.pem", "No such file")):
        result = cli(
            "image", "bootstrap", "debian:bookworm", "--ca-certificates", str(path), ok=False
        )
        assert result.returncode == 1
        assert result.stderr == f"pycompose: --ca-certificates {path}: {why}" + (
            " or directory\n" if why == "No such file" else "\n"
        )
    assert not (tmp_path / "root/blobs/sha256").exists() or not list(
        (tmp_path / "root/blobs/sha256").iterdir()
    )


@pytest.mark.network
def test_bootstrap_slim_with_packages(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.namespaces import in_host_network

    argv = in_host_network(
        [PYCOMPOSE, "image", "bootstrap", "debian:bookworm-slim", "--include", "curl"]
    )
    made = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    [document] = json.loads(cli("image", "inspect", "debian:bookworm-slim").stdout)
    assert document["Config"]["Cmd"] == ["bash"]
    [lower] = document["GraphDriver"]["Data"]["LowerDir"].split(":")
    rootfs = Path(lower)
    assert (rootfs / "usr/bin/curl").is_file()
    assert not list((rootfs / "usr/share/man").rglob("*.gz"))
    assert (rootfs / "usr/share/doc/bash/copyright").is_file()
