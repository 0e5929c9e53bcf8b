"""ADD's extras: recognising and unpacking local tar archives, and fetching URLs.

A local source that is a tar archive — plain, gzip, bzip2, xz or zstd, told
by its content, never by its name — is unpacked into the destination
directory instead of copied. Unpacking goes through the layer applier
(`runtime.layers.apply`), which resolves every entry confined to the
destination, so `..`, absolute names and symlinks in the archive cannot
write outside it. A URL source is downloaded once per build (its digest is
part of the step's cache key); `--checksum` is verified.
"""

from __future__ import annotations

import bz2
import email.utils
import hashlib
import lzma
import os
import posixpath
import tarfile
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from runtime.build.errors import BuildError
from runtime.layers.apply import apply_layer
from runtime.layers.compression import GZIP_MAGIC, ZSTD_MAGIC, open_decompressed
from runtime.layers.errors import LayerError

BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
DOWNLOAD_TIMEOUT = 60
_CHUNK = 1 << 20


def _decompressed(source: BinaryIO) -> BinaryIO:
    head = source.read(6)
    source.seek(0)
    if head.startswith(BZIP2_MAGIC):
        return bz2.BZ2File(source)  # type: ignore[return-value]
    if head.startswith(XZ_MAGIC):
        return lzma.LZMAFile(source)  # type: ignore[return-value]
    return open_decompressed(source)


def is_archive(path: Path) -> bool:
    """Whether the file at `path` is a tar archive (possibly compressed)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
            if not head:
                return False
            handle.seek(0)
            compressed = head.startswith((GZIP_MAGIC, ZSTD_MAGIC, BZIP2_MAGIC, XZ_MAGIC))
            try:
                block = _decompressed(handle).read(tarfile.BLOCKSIZE)
            except (OSError, EOFError, lzma.LZMAError, ValueError):
                return False
    except OSError as error:
        raise BuildError(f"cannot read {path}: {error.strerror}") from None
    if len(block) < tarfile.BLOCKSIZE:
        return False
    try:
        tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
    except tarfile.HeaderError:
        return compressed and block == bytes(tarfile.BLOCKSIZE)
    return True


def unpack(path: Path, target: Path) -> None:
    """Unpack the archive at `path` into the directory `target`, confined to it."""
    with open(path, "rb") as handle:
        try:
            apply_layer(_decompressed(handle), target)
        except LayerError as error:
            raise BuildError(f"failed to unpack {path.name}: {error}") from None


def url_file_name(url: str) -> str:
    """The name ADD gives a downloaded file: the last path segment of the URL."""
    path = urllib.parse.urlsplit(url).path
    name = posixpath.basename(path.rstrip("/"))
    return name or "index.html"


def download(url: str, directory: Path, checksum: str = "") -> tuple[Path, str]:
    """Fetch `url` into `directory`; return the file and its sha256 digest.

    The file is mode 0600 with the server's Last-Modified time, as ADD leaves it.
    """
    import urllib.error
    import urllib.request

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / url_file_name(url)
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "pycompose-build"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            modified = response.headers.get("Last-Modified")
            with open(target, "wb") as out:
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    except (OSError, ValueError) as error:  # URLError is an OSError
        reason = getattr(error, "reason", None) or error
        raise BuildError(f"failed to download {url}: {reason}") from None
    os.chmod(target, 0o600)
    if modified:
        try:
            when = email.utils.parsedate_to_datetime(modified).timestamp()
            os.utime(target, (when, when))
        except (TypeError, ValueError):
            pass
    found = "sha256:" + digest.hexdigest()
    if checksum and checksum != found:
        raise BuildError(f"digest mismatch for {url}: expected {checksum}, got {found}")
    return target, found
