"""Extra CA certificates for an image: one layer that Debian's tools and pip trust.

Behind a TLS-inspecting proxy (common in companies), HTTPS from inside a
container fails unless the container trusts the proxy's CA, as the machine
does. `image bootstrap --ca-certificates FILE` adds a layer holding the PEM
bundle where each kind of client looks for it:

- `/etc/ssl/certs/ca-certificates.crt`: the system bundle apt (GnuTLS), curl,
  wget and Debian's patched Python libraries read, and what pip is told to use;
- `/usr/lib/ssl/cert.pem` -> that bundle: OpenSSL's default file (Python's
  `ssl`), as Debian's `openssl` package links it;
- `/usr/local/share/ca-certificates/pycompose-extra.crt`: so that installing
  the `ca-certificates` package later (which regenerates the bundle) keeps them;
- `/etc/pip.conf` with `cert = /etc/ssl/certs/ca-certificates.crt`: pip (in a
  venv too) otherwise trusts only its own vendored bundle.

Images built `FROM` the base inherit the layer. The layer is the same bytes for
the same bundle, so its snapshot is shared.
"""

from __future__ import annotations

import hashlib
import io
import ssl
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.images.creation import LayerBlob, store_layer_from_tar
from runtime.images.errors import ImageError
from runtime.store import Store

SYSTEM_BUNDLE = "etc/ssl/certs/ca-certificates.crt"
LOCAL_CERTIFICATE = "usr/local/share/ca-certificates/pycompose-extra.crt"
OPENSSL_DEFAULT_FILE = "usr/lib/ssl/cert.pem"
PIP_CONFIG = "etc/pip.conf"
DIRECTORIES = (
    "etc",
    "etc/ssl",
    "etc/ssl/certs",
    "usr",
    "usr/lib",
    "usr/lib/ssl",
    "usr/local",
    "usr/local/share",
    "usr/local/share/ca-certificates",
)
MAX_BUNDLE = 16 * 1024 * 1024


@dataclass(frozen=True)
class CertificateBundle:
    """PEM certificates read from the user's files, with how many there are."""

    pem: bytes
    count: int

    @property
    def digest(self) -> str:
        """`sha256:<hex>` of the PEM bytes (named in the image's history)."""
        return "sha256:" + hashlib.sha256(self.pem).hexdigest()


def read_certificates(paths: Sequence[Path | str]) -> CertificateBundle:
    """Read and check PEM CA files; one bundle of all of them, or an ImageError naming the file."""
    parts: list[bytes] = []
    total = 0
    for name in paths:
        path = Path(name)
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_BUNDLE + 1)
        except OSError as exc:
            raise ImageError(f"--ca-certificates {path}: {exc.strerror}") from exc
        if len(data) > MAX_BUNDLE:
            raise ImageError(f"--ca-certificates {path}: larger than 16 MiB")
        count = _count_certificates(path, data)
        total += count
        parts.append(data if data.endswith(b"\n") else data + b"\n")
    if not parts:
        raise ImageError("--ca-certificates: no file given")
    return CertificateBundle(b"".join(parts), total)


def _count_certificates(path: Path, data: bytes) -> int:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ImageError(f"--ca-certificates {path}: no PEM certificate in it")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=data.decode("ascii", errors="replace"))
    except ssl.SSLError as exc:
        raise ImageError(f"--ca-certificates {path}: not a valid PEM bundle ({exc})") from exc
    stats = context.cert_store_stats()
    return int(stats.get("x509", 0))


def certificates_tar(bundle: CertificateBundle) -> bytes:
    """The layer's tar: the bundle in the places clients read, reproducible byte for byte."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory in DIRECTORIES:
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
        files = {
            SYSTEM_BUNDLE: bundle.pem,
            LOCAL_CERTIFICATE: bundle.pem,
            PIP_CONFIG: f"[global]\ncert = /{SYSTEM_BUNDLE}\n".encode(),
        }
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(OPENSSL_DEFAULT_FILE)
        link.type, link.linkname, link.mode = tarfile.SYMTYPE, f"/{SYSTEM_BUNDLE}", 0o777
        archive.addfile(link)
    return buffer.getvalue()


def store_certificates_layer(store: Store, bundle: CertificateBundle) -> LayerBlob:
    """Store the bundle's layer as a blob (hold the images lock until the image is made)."""
    return store_layer_from_tar(store, io.BytesIO(certificates_tar(bundle)))


def history_entry(bundle: CertificateBundle) -> str:
    """The `created_by` of the layer: what it holds, and the bundle's digest."""
    plural = "s" if bundle.count != 1 else ""
    return f"# CA certificates: {bundle.count} certificate{plural}, {bundle.digest}"
