"""Every key of the Compose Specification is either modelled or refused with a clear message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import specs
from specs.errors import SpecError
from specs.model import (
    BindOptions,
    Build,
    Config,
    Dependency,
    Deploy,
    Device,
    EnvFile,
    FileReference,
    Healthcheck,
    Ipam,
    IpamPool,
    Logging,
    Mount,
    Network,
    Port,
    Project,
    ResourceLimits,
    ResourceReservations,
    Resources,
    RestartPolicy,
    Secret,
    Service,
    ServiceNetwork,
    SpecModel,
    TmpfsOptions,
    Ulimit,
    Volume,
    VolumeOptions,
)
from tests.support.oracles import oracle

NAME = "^[a-zA-Z0-9._-]+$"
LEGACY = {"net"}  # docker-compose's file format 1 key, which pycompose accepts
# Where each model's keys are listed in the schema: a path of keys from the root.
SECTIONS: list[tuple[tuple[str | int, ...], type[SpecModel]]] = [
    ((), Project),
    (("$defs", "service"), Service),
    (("$defs", "service", "properties", "build", "oneOf", 1), Build),
    (("$defs", "service", "properties", "ports", "items", "oneOf", 2), Port),
    (("$defs", "service", "properties", "volumes", "items", "oneOf", 1), Mount),
    (
        ("$defs", "service", "properties", "volumes", "items", "oneOf", 1, "properties", "bind"),
        BindOptions,
    ),
    (
        ("$defs", "service", "properties", "volumes", "items", "oneOf", 1, "properties", "volume"),
        VolumeOptions,
    ),
    (
        ("$defs", "service", "properties", "volumes", "items", "oneOf", 1, "properties", "tmpfs"),
        TmpfsOptions,
    ),
    (
        (
            "$defs",
            "service",
            "properties",
            "networks",
            "oneOf",
            1,
            "patternProperties",
            NAME,
            "oneOf",
            0,
        ),
        ServiceNetwork,
    ),
    (
        ("$defs", "service", "properties", "depends_on", "oneOf", 1, "patternProperties", NAME),
        Dependency,
    ),
    (("$defs", "service", "properties", "logging"), Logging),
    (("$defs", "service", "properties", "devices", "items", "oneOf", 1), Device),
    (("$defs", "service_config_or_secret", "items", "oneOf", 1), FileReference),
    (("$defs", "env_file", "oneOf", 1, "items", "oneOf", 1), EnvFile),
    (("$defs", "ulimits", "patternProperties", "^[a-z]+$", "oneOf", 1), Ulimit),
    (("$defs", "healthcheck"), Healthcheck),
    (("$defs", "deployment"), Deploy),
    (("$defs", "deployment", "properties", "resources"), Resources),
    (("$defs", "deployment", "properties", "resources", "properties", "limits"), ResourceLimits),
    (
        ("$defs", "deployment", "properties", "resources", "properties", "reservations"),
        ResourceReservations,
    ),
    (("$defs", "deployment", "properties", "restart_policy"), RestartPolicy),
    (("$defs", "network"), Network),
    (("$defs", "network", "properties", "ipam"), Ipam),
    (("$defs", "network", "properties", "ipam", "properties", "config", "items"), IpamPool),
    (("$defs", "volume"), Volume),
    (("$defs", "config"), Config),
    (("$defs", "secret"), Secret),
]


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(oracle("compose-spec.json").read_text())
    return loaded


def _keys_at(path: tuple[str | int, ...]) -> set[str]:
    node: Any = _schema()
    for step in path:
        node = node[step]
    return set(node["properties"])


@pytest.mark.parametrize(("path", "model"), SECTIONS, ids=[model.__name__ for _, model in SECTIONS])
def test_every_schema_key_is_modelled_or_refused(
    path: tuple[str | int, ...], model: type[SpecModel]
) -> None:
    keys = _keys_at(path)
    handled = model.compose_keys() | model.unsupported | model.rewritten
    assert sorted(keys - handled) == []
    # And nothing is invented: what the model knows is the specification's (plus `net:`).
    assert sorted(handled - keys - LEGACY) == []


def test_the_top_level_keys_of_every_resource_section_are_covered() -> None:
    covered = {model for _, model in SECTIONS}
    assert {Service, Network, Volume, Config, Secret} <= covered


@pytest.mark.parametrize("key", sorted(Service.unsupported))
def test_an_unsupported_service_key_is_refused_by_name(key: str, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(f"services:\n  app:\n    image: busybox\n    {key}: x\n")
    with pytest.raises(SpecError) as raised:
        specs.load([tmp_path / "compose.yaml"], env={})
    assert str(raised.value).endswith(f"services.app.{key}: pycompose does not support '{key}' yet")
    assert str(raised.value).startswith(f"{tmp_path}/compose.yaml:4:5: ")
