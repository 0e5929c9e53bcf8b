"""How the command line shows sizes, ages and tables (Docker's way)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from runtime.containers.model import Container

_UNITS = ("B", "kB", "MB", "GB", "TB")


def human_size(size: float) -> str:
    """`74.8MB`: decimal units with three significant digits, as Docker prints them."""
    unit = 0
    while size >= 1000 and unit < len(_UNITS) - 1:
        size /= 1000
        unit += 1
    return f"{size:.3g}{_UNITS[unit]}"


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp, or None."""
    if not text:
        return None
    cleaned = text.replace("Z", "+00:00")
    if "." in cleaned:
        head, _, tail = cleaned.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        cleaned = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(cleaned).timestamp()
    except ValueError:
        return None


def human_age(text: str) -> str:
    """`3 days ago` for an RFC 3339 timestamp."""
    moment = parse_time(text)
    if moment is None:
        return "N/A"
    seconds = max(0, time.time() - moment)
    for unit, length in (
        ("year", 31536000),
        ("month", 2592000),
        ("week", 604800),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds >= length:
            count = int(seconds // length)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "Less than a minute ago" if seconds >= 1 else "Less than a second ago"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, three spaces apart."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for line in [headers, *rows]:
        typer.echo("   ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def command_text(container: Container, width: int | None = 20) -> str:
    """The container's command as `docker ps` quotes it (`"sh -c 'sleep 1…"`).

    What the container runs: its entrypoint or the image's, then its command, or
    the image's `Cmd` unless it set an entrypoint of its own (as Docker). The
    image's configuration is the one the container resolved at creation.
    """
    spec = container.spec
    image = container.resolved.get("image_config") or spec.image_config or {}
    entrypoint = spec.entrypoint if spec.entrypoint is not None else image.get("Entrypoint")
    command = spec.command
    if command is None:
        command = image.get("Cmd") if spec.entrypoint is None else None
    text = " ".join([*(entrypoint or ()), *(command or ())])
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return f'"{text}"'
