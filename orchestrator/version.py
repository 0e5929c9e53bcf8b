"""The installed pycompose version, read once from the package metadata."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """`0.1.0`, or `unknown` when the package is not installed."""
    from importlib import metadata

    try:
        return metadata.version("pycompose")
    except metadata.PackageNotFoundError:
        return "unknown"
