"""The Dockerfile test corpus: reading cases and writing expected outputs as compact JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / "dockerfiles"
VALID = CORPUS / "valid"
INVALID = CORPUS / "invalid"
WIDTH = 100


def cases(directory: Path) -> list[Path]:
    """The Dockerfiles of a corpus directory, sorted."""
    return sorted(directory.glob("*.Dockerfile"))


def compact_json(value: Any, indent: int = 0) -> str:
    """JSON with one item per line, except that anything short enough stays on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {compact_json(item, indent + 2)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + compact_json(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def plan_everything(text: bytes) -> None:
    """Parse, plan and plan every needed stage (images start empty): the pure half of a build."""
    from runtime.build.dispatch import plan_stage
    from runtime.build.dockerfile import parse_dockerfile
    from runtime.build.planner import plan_build
    from runtime.build.steps import StageState

    plan = plan_build(parse_dockerfile(text))
    finals: dict[int, StageState] = {}
    for planned in plan.needed:
        if planned.base.stage_index is not None:
            base = finals[planned.base.stage_index]
        else:
            base = StageState.from_image(None)
        finals[planned.index] = plan_stage(plan, planned.index, base).final
