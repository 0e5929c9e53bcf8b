"""Extra CA certificates for a base image: reading the user's files, and the layer they make."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from runtime.images.certificates import (
    CertificateBundle,
    certificates_tar,
    history_entry,
    read_certificates,
)
from runtime.images.errors import ImageError
from tests.support.certificates import make_certificate


@pytest.fixture(scope="module")
def two_certificates() -> tuple[bytes, bytes]:
    return make_certificate("proxy CA one"), make_certificate("proxy CA two")


def test_files_make_one_bundle_counting_their_certificates(
    tmp_path: Path, two_certificates: tuple[bytes, bytes]
) -> None:
    first, second = two_certificates
    (tmp_path / "both.pem").write_bytes(first + second)
    (tmp_path / "one.crt").write_bytes(first.rstrip(b"\n"))  # no final newline
    bundle = read_certificates([tmp_path / "both.pem", str(tmp_path / "one.crt")])
    assert bundle.count == 3
    assert bundle.pem == first + second + first
    assert history_entry(bundle) == f"# CA certificates: 3 certificates, {bundle.digest}"
    assert bundle.digest.startswith("sha256:") and len(bundle.digest) == 71


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ImageError, match=rf"^--ca-certificates {missing}: No such file"):
        read_certificates([missing])
    with pytest.raises(ImageError, match=r"^--ca-certificates /: Is a directory$"):
        read_certificates(["/"])


def test_a_file_without_pem_certificates_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("these are not certificates\n")
    with pytest.raises(ImageError, match=rf"^--ca-certificates {text}: no PEM certificate in it$"):
        read_certificates([text])
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match="no PEM certificate in it"):
        read_certificates([empty])


def test_a_damaged_pem_block_is_refused(
    tmp_path: Path, two_certificates: tuple[bytes, bytes]
) -> None:
    lines = two_certificates[0].splitlines(keepends=True)
    damaged = tmp_path / "damaged.pem"
    damaged.write_bytes(b"".join([*lines[:3], b"!!!! not base64 !!!!\n", *lines[4:]]))
    with pytest.raises(ImageError, match=rf"^--ca-certificates {damaged}: not a valid PEM bundle"):
        read_certificates([damaged])


def test_no_file_is_an_error() -> None:
    with pytest.raises(ImageError, match="no file given"):
        read_certificates([])


def test_the_layer_puts_the_bundle_where_each_client_reads_it(
    two_certificates: tuple[bytes, bytes],
) -> None:
    bundle = CertificateBundle(b"".join(two_certificates), 2)
    with tarfile.open(fileobj=io.BytesIO(certificates_tar(bundle))) as archive:
        members = {member.name: member for member in archive.getmembers()}
        system = archive.extractfile("etc/ssl/certs/ca-certificates.crt")
        local = archive.extractfile("usr/local/share/ca-certificates/pycompose-extra.crt")
        pip = archive.extractfile("etc/pip.conf")
        assert system is not None and local is not None and pip is not None
        assert system.read() == bundle.pem and local.read() == bundle.pem
        assert pip.read() == b"[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n"
    link = members["usr/lib/ssl/cert.pem"]
    assert link.issym() and link.linkname == "/etc/ssl/certs/ca-certificates.crt"
    # Every parent directory is in the layer, before what it holds, owned by root.
    names = list(members)
    for name in names:
        parent = name.rpartition("/")[0]
        assert not parent or names.index(parent) < names.index(name)
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "", "")}


def test_the_layer_is_the_same_bytes_for_the_same_bundle(
    two_certificates: tuple[bytes, bytes],
) -> None:
    bundle = CertificateBundle(two_certificates[0], 1)
    first = certificates_tar(bundle)
    assert certificates_tar(CertificateBundle(two_certificates[0], 1)) == first
    with tarfile.open(fileobj=io.BytesIO(first)) as archive:
        assert {member.mtime for member in archive.getmembers()} == {0}
    assert certificates_tar(CertificateBundle(two_certificates[1], 1)) != first
