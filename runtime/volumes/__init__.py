"""Volumes: named and anonymous volumes under `<root>/volumes/<name>/_data`, holds, copy-up."""

from runtime.volumes.store import Volume, VolumeStore

__all__ = ["Volume", "VolumeStore"]
