"""Reading the files a project names (Compose files, env files, configs), with errors users can act on.

Only regular files are read, and text files only up to MAX_TEXT_SIZE: a
project that names `/dev/zero`, a FIFO or `/proc/kmsg` gets a one-line error
instead of a load that never ends or eats the machine's memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from specs.errors import Location, SpecError

# Far beyond any real Compose or env file (a 10 MB value still fits).
MAX_TEXT_SIZE = 32 << 20
_CHUNK = 1 << 20
_DIRECTORY = "is a directory, not a file"
_NOT_REGULAR = "is not a regular file (a device, FIFO or socket cannot be read as one)"


def file_problem(path: Path | str) -> str | None:
    """Why `path` cannot be read as a file ("no such file"...), or None when it can."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if stat.S_ISDIR(mode):
        return _DIRECTORY
    if not stat.S_ISREG(mode):
        return _NOT_REGULAR
    return None


def _open_regular(path: Path, display_name: str) -> int:
    """A descriptor of `path`, which must be a regular file (never blocks on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError:
        raise SpecError(f"{display_name}: no such file") from None
    except OSError as exc:
        raise SpecError(f"{display_name}: cannot read: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise SpecError(f"{display_name}: {_NOT_REGULAR if not stat.S_ISDIR(mode) else _DIRECTORY}")
    return fd


def read_bytes(path: Path, display_name: str, limit: int = MAX_TEXT_SIZE) -> bytes:
    """The bytes of the regular file `path`, refusing more than `limit` of them."""
    fd = _open_regular(path, display_name)
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise SpecError(
                    f"{display_name}: is larger than {limit >> 20} MiB, the limit for this file"
                )
            chunks.append(chunk)
    except OSError as exc:
        raise SpecError(f"{display_name}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def file_digest(path: Path | str) -> bytes | None:
    """The sha256 of a regular file's content, streamed; None when it is not one or unreadable."""
    try:
        fd = _open_regular(Path(path), str(path))
    except SpecError:
        return None
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return digest.digest()


def read_text(path: Path, display_name: str) -> str:
    """The UTF-8 text of `path` (a byte-order mark is dropped)."""
    data = read_bytes(path, display_name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError("the file is not UTF-8 text", Location(display_name, line, 1)) from None
    nul = data.find(b"\0")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise SpecError(
            "the file is binary: it holds a NUL character", Location(display_name, line, 1)
        )
    return text
