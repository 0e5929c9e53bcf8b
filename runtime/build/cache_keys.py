"""Cache keys of build steps: what a step's result depends on, as pure data, and its digest.

A step is reused when its parent, its expanded instruction (and the state it
runs in: environment, working directory, user, shell...) and, for COPY and
ADD, the content and metadata of its sources are the same. The planner fills
in everything but the content; the executor adds a digest per source.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Bump when the meaning of the inputs changes, so old cache entries stop matching.
CACHE_VERSION = "pycompose.build.v1"


def _fields(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not plain data")


def canonical_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept; dataclasses as objects."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_fields
    )


@dataclass(frozen=True)
class CacheInputs:
    """The inputs of one step's cache key, except its parent and its sources' content.

    `data` is the canonical JSON of the expanded instruction and of the state it
    depends on; `content_sources` are the expanded COPY/ADD source paths, for
    each of which the executor supplies one digest covering the content and
    metadata of everything the path (or wildcard) selects.
    """

    instruction: str
    data: str
    content_sources: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, instruction: str, fields: Mapping[str, Any], sources: tuple[str, ...] = ()
    ) -> CacheInputs:
        """Inputs from plain-data fields."""
        return cls(instruction, canonical_json(fields), sources)

    def key(self, parent: str, contents: Mapping[str, str] | None = None) -> str:
        """The step's cache key: sha256 over the version, parent, inputs and content digests."""
        contents = dict(contents or {})
        missing = [source for source in self.content_sources if source not in contents]
        if missing:
            raise ValueError(f"content digests missing for: {', '.join(missing)}")
        payload = canonical_json(
            {
                "version": CACHE_VERSION,
                "parent": parent,
                "instruction": self.instruction,
                "data": self.data,
                "contents": contents,
            }
        )
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def base_key(base_id: str, platform: str) -> str:
    """The key a stage's first step chains from: the base image's id (or `scratch`) and platform."""
    payload = canonical_json({"version": CACHE_VERSION, "base": base_id, "platform": platform})
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
