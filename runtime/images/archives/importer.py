"""`image import`: a root filesystem tarball becomes a one-layer image (with `--change`s)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any, BinaryIO

from runtime.images.creation import (
    create_image,
    default_config,
    images_lock,
    now_rfc3339,
    store_layer_from_tar,
)
from runtime.images.errors import ImageError
from runtime.images.imagestore import Image, ImageStore
from runtime.images.reference import parse_reference
from runtime.store import Store


def import_rootfs(
    store: Store,
    source: BinaryIO,
    *,
    tags: Sequence[str] = (),
    config: dict[str, Any] | None = None,
    changes: Sequence[str] = (),
    message: str = "",
    created_by: str = "",
) -> Image:
    """Store the (plain/gzip/zstd) rootfs tar `source` as a new single-layer image."""
    references = [parse_reference(tag) for tag in tags]
    runtime_config = apply_changes(
        dict(config if config is not None else default_config()), changes
    )
    images = ImageStore(store)
    created = now_rfc3339()
    with images_lock(store):
        layer = store_layer_from_tar(store, source)
        entry = {"created": created, "created_by": created_by}
        if message or not created_by:
            entry["comment"] = message or "Imported from -"
        return create_image(
            images,
            parent=None,
            layers=[layer],
            config=runtime_config,
            history=[entry],
            tags=references,
            created=created,
        )


def _command(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise ImageError(f"invalid JSON in --change: {value}") from exc
        if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
            raise ImageError(f"--change expects a JSON array of strings: {value}")
        return parsed
    return ["/bin/sh", "-c", value]


def _pairs(value: str) -> list[tuple[str, str]]:
    words = shlex.split(value)
    if len(words) == 2 and "=" not in words[0]:
        return [(words[0], words[1])]
    pairs = []
    for word in words:
        key, sep, val = word.partition("=")
        if not sep:
            raise ImageError(f"--change expects KEY=VALUE: {word}")
        pairs.append((key, val))
    return pairs


def apply_changes(config: dict[str, Any], changes: Sequence[str]) -> dict[str, Any]:
    """Apply Dockerfile-style `--change` instructions (CMD, ENTRYPOINT, ENV, ...) to a config."""
    for change in changes:
        instruction, _, value = change.strip().partition(" ")
        keyword = instruction.upper()
        if keyword == "CMD":
            config["Cmd"] = _command(value)
        elif keyword == "ENTRYPOINT":
            config["Entrypoint"] = _command(value)
        elif keyword == "ENV":
            env = [e for e in config.get("Env") or []]
            for key, val in _pairs(value):
                env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={val}"]
            config["Env"] = env
        elif keyword == "LABEL":
            config["Labels"] = {**(config.get("Labels") or {}), **dict(_pairs(value))}
        elif keyword == "WORKDIR":
            config["WorkingDir"] = value.strip()
        elif keyword == "USER":
            config["User"] = value.strip()
        elif keyword == "STOPSIGNAL":
            config["StopSignal"] = value.strip()
        elif keyword == "EXPOSE":
            ports = config.get("ExposedPorts") or {}
            for port in value.split():
                ports[port if "/" in port else f"{port}/tcp"] = {}
            config["ExposedPorts"] = ports
        elif keyword == "VOLUME":
            paths = _command(value) if value.strip().startswith("[") else value.split()
            config["Volumes"] = {**(config.get("Volumes") or {}), **{p: {} for p in paths}}
        else:
            raise ImageError(f"--change does not support {instruction!r}")
    return config
