"""Registry authentication: `WWW-Authenticate` challenges, bearer tokens and Basic auth.

A registry answers 401 with a challenge. `Basic` means sending the user's
credentials with every request. `Bearer realm=...,service=...,scope=...` means
asking the token endpoint (with the credentials, or anonymously) for a token
covering the scopes, which is cached until shortly before it expires.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from runtime.images.credentials import Credentials
from runtime.images.errors import AuthenticationError, RegistryError
from runtime.images.transport import Transport

DEFAULT_TOKEN_LIFETIME = 60
EXPIRY_MARGIN = 10
CLIENT_ID = "pycompose"
_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]*))\s*,?')


@dataclass(frozen=True)
class Challenge:
    """One authentication scheme offered by a registry, with its parameters."""

    scheme: str
    params: dict[str, str]


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a `WWW-Authenticate` header into its challenges (scheme names lowercased)."""
    challenges: list[Challenge] = []
    rest = header.strip()
    while rest:
        match = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
        if not match:
            break
        scheme = match.group(1).lower()
        rest = rest[match.end() :]
        params: dict[str, str] = {}
        while True:
            param = _PARAM_RE.match(rest)
            if not param or (param.group(2) is None and param.group(3) is None):
                break
            value = param.group(2)
            value = re.sub(r"\\(.)", r"\1", value) if value is not None else param.group(3)
            params[param.group(1).lower()] = value
            rest = rest[param.end() :]
        challenges.append(Challenge(scheme, params))
        rest = rest.lstrip(", ")
    return challenges


def basic_header(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class Authenticator:
    """Turns challenges into Authorization headers for one registry, caching tokens."""

    def __init__(self, transport: Transport, registry: str, credentials: Credentials | None):
        self.transport = transport
        self.registry = registry
        self.credentials = credentials
        self._challenge: Challenge | None = None
        self._tokens: dict[frozenset[str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def header(self, scopes: Iterable[str]) -> str | None:
        """The Authorization header to send for `scopes`, if a challenge has been seen."""
        with self._lock:
            challenge = self._challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return basic_header(self.credentials) if self.credentials else None
        key = frozenset(scopes)
        with self._lock:
            cached = self._tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return "Bearer " + cached[0]
        token, lifetime = self._fetch_token(challenge, key)
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(lifetime - EXPIRY_MARGIN, 1))
        return "Bearer " + token

    def challenged(self, header: str, scopes: Iterable[str]) -> str:
        """Record a 401's challenge; return the header to retry with, or raise."""
        offered = {c.scheme: c for c in parse_challenges(header)}
        challenge = offered.get("bearer") or offered.get("basic")
        if challenge is None:
            raise AuthenticationError(
                f"{self.registry} requires an authentication scheme pycompose does not speak: "
                f"{header or '(none given)'}"
            )
        if challenge.scheme == "basic" and self.credentials is None:
            raise AuthenticationError(
                f"{self.registry} requires a login: run `pycompose login {self.registry}`"
            )
        with self._lock:
            self._challenge = challenge
            self._tokens.clear()
        result = self.header(scopes)
        assert result is not None
        return result

    def _fetch_token(self, challenge: Challenge, scopes: frozenset[str]) -> tuple[str, int]:
        realm = challenge.params.get("realm")
        if not realm:
            raise AuthenticationError(f"{self.registry} sent a bearer challenge without a realm")
        service = challenge.params.get("service", "")
        wanted = sorted(scopes) or (
            [challenge.params["scope"]] if "scope" in challenge.params else []
        )
        credentials = self.credentials
        if credentials and credentials.identity_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": credentials.identity_token,
                "service": service,
                "client_id": CLIENT_ID,
                "scope": " ".join(wanted),
            }
            response = self.transport.request(
                "POST",
                realm,
                {"Content-Type": "application/x-www-form-urlencoded"},
                urlencode(form).encode(),
            )
        else:
            query = [("service", service)] if service else []
            query += [("scope", scope) for scope in wanted]
            headers = {"Authorization": basic_header(credentials)} if credentials else {}
            separator = "&" if "?" in realm else "?"
            url = realm + (separator + urlencode(query) if query else "")
            response = self.transport.request("GET", url, headers)
        body = response.read()
        if response.status in (401, 403):
            who = (
                "the stored credentials were refused" if credentials else "anonymous access refused"
            )
            raise AuthenticationError(
                f"{self.registry}: {who} by the token service; run `pycompose login {self.registry}`"
            )
        if response.status != 200:
            raise RegistryError(f"token service {realm} answered {response.status}")
        try:
            document = json.loads(body)
            token = document.get("token") or document.get("access_token")
            lifetime = int(document.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, AttributeError, TypeError) as exc:
            raise RegistryError(f"token service {realm} sent an unreadable answer") from exc
        if not token:
            raise RegistryError(f"token service {realm} sent no token")
        return str(token), lifetime
