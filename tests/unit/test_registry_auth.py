"""Challenges, credentials in Docker's config.json format, and transport rules."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from runtime.images.auth import parse_challenges
from runtime.images.credentials import (
    Credentials,
    erase_credentials,
    load_credentials,
    store_credentials,
)
from runtime.images.errors import RegistryError
from runtime.images.transport import Transport, is_loopback


def test_bearer_and_basic_challenges() -> None:
    header = (
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push", Basic realm="x\\"y"'
    )
    bearer, basic = parse_challenges(header)
    assert bearer.scheme == "bearer"
    assert bearer.params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:a/b:pull,push",
    }
    assert basic.scheme == "basic" and basic.params == {"realm": 'x"y'}


def test_reads_what_docker_login_wrote(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {
                        "auth": base64.b64encode(b"hubuser:s3:cret").decode()
                    },
                    "registry.example:5000": {"auth": base64.b64encode(b"me:pw").decode()},
                    "https://tokens.example": {"identitytoken": "refresh-me"},
                }
            }
        )
    )
    assert load_credentials("docker.io", config) == Credentials("hubuser", "s3:cret")
    assert load_credentials("https://index.docker.io/v1/", config) == Credentials(
        "hubuser", "s3:cret"
    )
    assert load_credentials("registry.example:5000", config) == Credentials("me", "pw")
    assert load_credentials("tokens.example", config) == Credentials(identity_token="refresh-me")
    assert load_credentials("other.example", config) is None


def test_store_and_erase_keep_other_entries(tmp_path: Path) -> None:
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    config.write_text(
        json.dumps({"auths": {"keep.example": {"auth": "a2VlcDptZQ=="}}, "psFormat": "x"})
    )
    store_credentials("localhost:5000", Credentials("u", "p"), config)
    document = json.loads(config.read_text())
    assert document["psFormat"] == "x"
    assert base64.b64decode(document["auths"]["localhost:5000"]["auth"]) == b"u:p"
    assert config.stat().st_mode & 0o777 == 0o600
    assert erase_credentials("localhost:5000", config)
    assert not erase_credentials("localhost:5000", config)
    assert set(json.loads(config.read_text())["auths"]) == {"keep.example"}


def test_plain_http_only_for_loopback_and_insecure() -> None:
    assert (
        is_loopback("localhost:5000") and is_loopback("127.3.4.5:80") and is_loopback("[::1]:5000")
    )
    assert not is_loopback("registry.example:5000") and not is_loopback("10.0.0.1")
    transport = Transport(insecure=["registry.lan:5000"])
    assert transport.allows_plain_http("registry.lan:5000")
    with pytest.raises(RegistryError, match="refusing plain http"):
        transport.request("GET", "http://registry.example/v2/", {})


def test_credential_helper_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper_dir = tmp_path / "bin"
    helper_dir.mkdir()
    secrets = tmp_path / "secrets.json"
    helper = helper_dir / "docker-credential-testhelper"
    helper.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"path = {str(secrets)!r}\n"
        "data = json.load(open(path)) if __import__('os').path.exists(path) else {}\n"
        "action, payload = sys.argv[1], sys.stdin.read()\n"
        "if action == 'get':\n"
        "    if payload not in data: print('credentials not found in native keychain'); sys.exit(1)\n"
        "    print(json.dumps({'ServerURL': payload, **data[payload]}))\n"
        "elif action == 'store':\n"
        "    entry = json.loads(payload); data[entry['ServerURL']] = {'Username': entry['Username'], 'Secret': entry['Secret']}\n"
        "    json.dump(data, open(path, 'w'))\n"
        "elif action == 'erase':\n"
        "    data.pop(payload, None); json.dump(data, open(path, 'w'))\n"
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper_dir}:{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "testhelper"}))
    assert load_credentials("registry.example", config) is None
    store_credentials("registry.example", Credentials("carol", "pw"), config)
    assert "auth" not in json.loads(config.read_text())["auths"]["registry.example"]
    assert load_credentials("registry.example", config) == Credentials("carol", "pw")
    assert erase_credentials("registry.example", config)
    assert load_credentials("registry.example", config) is None
