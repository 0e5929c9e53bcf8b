"""Reading the text files a project names (Compose files, env files), with errors users can act on."""

from __future__ import annotations

from pathlib import Path

from specs.errors import Location, SpecError


def read_text(path: Path, display_name: str) -> str:
    """The UTF-8 text of `path` (a byte-order mark is dropped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{display_name}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{display_name}: is a directory, not a file") from None
    except OSError as exc:
        raise SpecError(f"{display_name}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError("the file is not UTF-8 text", Location(display_name, line, 1)) from None
