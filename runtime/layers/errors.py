"""The layers package's exception family."""

from __future__ import annotations

from runtime.errors import EngineError


class LayerError(EngineError):
    """A layer could not be applied, diffed or unpacked (bad archive, unsafe entry, I/O)."""
