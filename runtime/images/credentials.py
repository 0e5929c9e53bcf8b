"""Registry credentials in Docker's `~/.docker/config.json` format (read what `docker login` wrote).

`auths.<registry>.auth` is base64 of `user:password`; `identitytoken` is an
OAuth refresh token; `credsStore` / `credHelpers` name a
`docker-credential-<helper>` program that keeps the secrets instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.images.atomicfile import write_atomically
from runtime.images.errors import AuthenticationError
from runtime.images.reference import DOCKER_HUB_AUTH_KEY

IDENTITY_TOKEN_USERNAME = "<token>"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", DOCKER_HUB_AUTH_KEY}


@dataclass(frozen=True)
class Credentials:
    """A username and password, or an identity (refresh) token."""

    username: str = ""
    password: str = ""
    identity_token: str = ""


def config_path() -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`."""
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(directory) / "config.json"


def server_key(registry: str) -> str:
    """The key Docker uses for a registry in `auths` (Docker Hub's is its v1 URL)."""
    bare = registry.removeprefix("https://").removeprefix("http://").rstrip("/")
    if registry in _HUB_ALIASES or bare.split("/")[0] in _HUB_ALIASES:
        return DOCKER_HUB_AUTH_KEY
    return bare.split("/")[0]


def _read_config(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AuthenticationError(f"cannot read {path}: {exc}") from exc
    return document if isinstance(document, dict) else {}


def _helper_for(document: dict[str, Any], key: str) -> str | None:
    helpers = document.get("credHelpers") or {}
    return helpers.get(key) or document.get("credsStore") or None


def _run_helper(helper: str, action: str, payload: str) -> str:
    program = f"docker-credential-{helper}"
    try:
        result = subprocess.run(
            [program, action], input=payload.encode(), capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError as exc:
        raise AuthenticationError(f"credential helper {program} is not installed") from exc
    if result.returncode != 0:
        message = (result.stdout or result.stderr).decode(errors="replace").strip()
        if action == "get" and "credentials not found" in message.lower():
            return ""
        raise AuthenticationError(f"{program} {action} failed: {message}")
    return result.stdout.decode()


def load_credentials(registry: str, path: Path | None = None) -> Credentials | None:
    """The stored credentials for `registry` (a host or Docker Hub), or None."""
    path = path or config_path()
    document = _read_config(path)
    key = server_key(registry)
    helper = _helper_for(document, key)
    if helper:
        answer = _run_helper(helper, "get", key)
        if answer:
            secret = json.loads(answer)
            username, password = secret.get("Username", ""), secret.get("Secret", "")
            if username == IDENTITY_TOKEN_USERNAME:
                return Credentials(identity_token=password)
            return Credentials(username, password)
    auths = document.get("auths") or {}
    entry = None
    for candidate, value in auths.items():
        if server_key(candidate) == key:
            entry = value
            break
    if not isinstance(entry, dict):
        return None
    username, password = entry.get("username", ""), entry.get("password", "")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(entry["auth"]).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthenticationError(f"malformed auth for {key} in {path}") from exc
        username, _, password = decoded.partition(":")
    token = entry.get("identitytoken", "")
    if not (username or token):
        return None
    return Credentials(username, password, token)


def _write_config(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(document, indent="\t") + "\n"
    write_atomically(path, lambda handle: handle.write(text.encode()), mode=0o600)


def store_credentials(registry: str, credentials: Credentials, path: Path | None = None) -> Path:
    """Save credentials for `registry` as `docker login` would; return the file written."""
    path = path or config_path()
    document = _read_config(path)
    key = server_key(registry)
    auths = document.setdefault("auths", {})
    helper = _helper_for(document, key)
    if helper:
        username = credentials.username or IDENTITY_TOKEN_USERNAME
        secret = credentials.password or credentials.identity_token
        _run_helper(
            helper, "store", json.dumps({"ServerURL": key, "Username": username, "Secret": secret})
        )
        auths[key] = {}
    else:
        entry: dict[str, str] = {}
        if credentials.username:
            raw = f"{credentials.username}:{credentials.password}".encode()
            entry["auth"] = base64.b64encode(raw).decode()
        if credentials.identity_token:
            entry["identitytoken"] = credentials.identity_token
        auths[key] = entry
    _write_config(path, document)
    return path


def erase_credentials(registry: str, path: Path | None = None) -> bool:
    """Forget the credentials for `registry`; False if there were none."""
    path = path or config_path()
    document = _read_config(path)
    key = server_key(registry)
    auths = document.get("auths") or {}
    found = [candidate for candidate in auths if server_key(candidate) == key]
    helper = _helper_for(document, key)
    if helper:
        _run_helper(helper, "erase", key)
    if not found and not helper:
        return False
    for candidate in found:
        del auths[candidate]
    _write_config(path, document)
    return True
