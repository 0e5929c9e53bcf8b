"""The OCI model reads what runc writes and writes it back unchanged."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from runtime.oci.spec import Spec, SpecFormatError, load_spec, write_spec


@pytest.mark.parametrize("program", ["runc", "crun"])
def test_round_trip_of_the_reference_spec(program: str, tmp_path: Path) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")
    subprocess.run([program, "spec"], cwd=tmp_path, check=True)
    original = json.loads((tmp_path / "config.json").read_text())
    spec = load_spec(tmp_path)
    assert spec.process is not None and spec.process.args == ["sh"]
    assert spec.namespace("pid") is not None
    assert "CAP_KILL" in spec.process.capabilities.bounding  # type: ignore[union-attr]
    write_spec(tmp_path, spec)
    again = json.loads((tmp_path / "config.json").read_text())
    for key in ("process", "root", "mounts", "linux", "hostname"):
        assert again.get(key) == original.get(key) or _without_empty(
            again.get(key)
        ) == _without_empty(original.get(key))


def _without_empty(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in ([], {}, None, False)}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def test_unknown_keys_survive(tmp_path: Path) -> None:
    data = {
        "ociVersion": "1.0.2",
        "process": {"args": ["x"], "x-extra": 1},
        "hooks": {"prestart": []},
    }
    spec = Spec.from_dict(data)
    assert spec.to_dict()["hooks"] == {"prestart": []}
    assert spec.to_dict()["process"]["x-extra"] == 1


def test_bad_specs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecFormatError, match=r"no config\.json"):
        load_spec(tmp_path)
    (tmp_path / "config.json").write_text('{"process": {"args": []}}')
    with pytest.raises(SpecFormatError, match=r"process\.args"):
        load_spec(tmp_path)
    (tmp_path / "config.json").write_text('{"process": {"args": ["a"], "user": {"uid": "root"}}}')
    with pytest.raises(SpecFormatError, match="integer"):
        load_spec(tmp_path)
