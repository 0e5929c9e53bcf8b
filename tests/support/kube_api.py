"""A stand-in for a Kubernetes API server, at the HTTP layer of the official client.

The client builds its requests itself (URL, query, headers, JSON body) and
hands them to a `urllib3.PoolManager`; `FakeApiServer` takes that manager's
place, records every request and answers the way an API server does for
what pycompose sends: server-side apply (`PATCH` with an apply content type)
creates or replaces an object, a list honours `labelSelector`, a delete
removes (404 when absent), and a Job whose Pod template changes is refused
as immutable (422). Nothing else of the client is replaced.
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import urllib3

SERVER = "https://kube.example.test:6443"
TOKEN = "t0ken-for-tests"
_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"/namespaces/(?P<namespace>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?$"
)
KINDS = {
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "services": "Service",
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "jobs": "Job",
}


@dataclass(frozen=True)
class Request:
    """One request as it reached the wire."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case (HTTP does not tell cases apart)."""
    body: Any


@dataclass
class FakeApiServer:
    """Records requests and keeps objects by (namespace, plural, name)."""

    requests: list[Request] = field(default_factory=list)
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    refuse: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """(method, path) -> (status, message): answers to give instead of the normal one."""
    unreachable: bool = False
    pool_arguments: dict[str, Any] = field(default_factory=dict)
    _serial: int = 0

    # The PoolManager interface the client uses.
    def __call__(self, **arguments: Any) -> FakeApiServer:
        self.pool_arguments = arguments
        return self

    def clear(self) -> None:
        """Nothing pooled to drop."""

    def request(self, method: str, url: str, **options: Any) -> urllib3.HTTPResponse:
        if self.unreachable:
            raise urllib3.exceptions.MaxRetryError(
                None, url, urllib3.exceptions.NewConnectionError(None, "Connection refused")
            )
        parts = urlsplit(url)
        body = options.get("body")
        request = Request(
            method=method,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers={key.lower(): value for key, value in (options.get("headers") or {}).items()},
            body=json.loads(body) if body else None,
        )
        self.requests.append(request)
        if f"{parts.scheme}://{parts.netloc}" != SERVER:
            return _answer(404, _status(404, "not this server"))
        refused = self.refuse.get((method, parts.path))
        if refused is not None:
            return _answer(refused[0], _status(*refused))
        return self._handle(request)

    # What the API server does.
    def applied(self) -> list[Request]:
        """The apply requests, in order."""
        return [request for request in self.requests if request.method == "PATCH"]

    def names(self, plural: str, namespace: str = "shop") -> list[str]:
        """Names of the stored objects of a kind."""
        return sorted(
            name for (space, kind, name) in self.objects if (space, kind) == (namespace, plural)
        )

    def _handle(self, request: Request) -> urllib3.HTTPResponse:
        match = _PATH.match(request.path)
        if match is None or match["plural"] not in KINDS:
            return _answer(404, _status(404, f"no such resource {request.path}"))
        key = (match["namespace"], match["plural"], match["name"] or "")
        if request.method == "PATCH" and match["name"]:
            return self._apply(request, key)
        if request.method == "GET" and not match["name"]:
            return self._list(request, match["namespace"], match["plural"])
        if request.method == "DELETE" and match["name"]:
            if self.objects.pop(key, None) is None:
                return _answer(404, _status(404, f'{match["plural"]} "{key[2]}" not found'))
            return _answer(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        return _answer(405, _status(405, "method not allowed"))

    def _apply(self, request: Request, key: tuple[str, str, str]) -> urllib3.HTTPResponse:
        if request.headers.get("content-type") != "application/apply-patch+yaml":
            return _answer(415, _status(415, "not an apply patch"))
        if "fieldManager" not in request.query:
            return _answer(400, _status(400, "fieldManager is required for apply"))
        body = request.body
        if body.get("kind") != KINDS[key[1]] or body["metadata"]["name"] != key[2]:
            return _answer(400, _status(400, "the body does not match the URL"))
        known = self.objects.get(key)
        if (
            known is not None
            and key[1] == "jobs"
            and known["spec"]["template"] != body["spec"]["template"]
        ):
            return _answer(422, _status(422, "spec.template: field is immutable"))
        self._serial += 1
        stored = copy.deepcopy(body)
        stored["metadata"]["namespace"] = key[0]
        stored["metadata"]["uid"] = f"uid-{key[2]}"
        stored["metadata"]["resourceVersion"] = str(self._serial)
        self.objects[key] = stored
        return _answer(200 if known is not None else 201, stored)

    def _list(self, request: Request, namespace: str, plural: str) -> urllib3.HTTPResponse:
        wanted = dict(
            term.split("=", 1) for term in request.query.get("labelSelector", "").split(",") if term
        )
        items = [
            stored
            for (space, kind, _), stored in sorted(self.objects.items())
            if (space, kind) == (namespace, plural)
            and wanted.items() <= (stored["metadata"].get("labels") or {}).items()
        ]
        return _answer(
            200,
            {
                "apiVersion": "v1",
                "kind": f"{KINDS[plural]}List",
                "metadata": {"resourceVersion": str(self._serial)},
                "items": items,
            },
        )


def _status(status: int, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "code": status,
    }


def _answer(status: int, payload: dict[str, Any]) -> urllib3.HTTPResponse:
    data = json.dumps(payload).encode()
    return urllib3.HTTPResponse(
        body=io.BytesIO(data),
        headers={"Content-Type": "application/json"},
        status=status,
        reason={200: "OK", 201: "Created"}.get(status, "Error"),
        preload_content=False,
    )


def write_kubeconfig(path: Path, *, namespace: str | None = "shop") -> Path:
    """A kubeconfig for the fake server: one cluster, a bearer token, one context."""
    context: dict[str, Any] = {"cluster": "test", "user": "tester"}
    if namespace:
        context["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "test", "cluster": {"server": SERVER, "insecure-skip-tls-verify": True}}
        ],
        "users": [{"name": "tester", "user": {"token": TOKEN}}],
        "contexts": [
            {"name": "test", "context": context},
            {
                "name": "other",
                "context": {"cluster": "test", "user": "tester", "namespace": "staging"},
            },
        ],
        "current-context": "test",
    }
    path.write_text(json.dumps(config))
    return path
