"""Privileges: a service's user, capabilities and security options as a securityContext.

`user` must be numeric (`1000` or `1000:1000`; `root` is 0): Kubernetes runs
as ids, not names. `security_opt` understands `no-new-privileges`, `seccomp=unconfined` and
`apparmor=unconfined`/`apparmor=<profile>`; the rest, ulimits, devices and an
init process have no Pod equivalent and are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specs.model import Service


def security_context(service: Service, warn: Callable[[str], None]) -> dict[str, Any]:
    """The container's `securityContext` (empty when the service changes nothing)."""
    origin = f"services.{service.name}"
    context: dict[str, Any] = {}
    if service.user:
        context.update(_user(service.user, f"{origin}.user", warn))
    if service.privileged:
        context["privileged"] = True
    capabilities: dict[str, list[str]] = {}
    if service.cap_add:
        capabilities["add"] = list(service.cap_add)
    if service.cap_drop:
        capabilities["drop"] = list(service.cap_drop)
    if capabilities:
        context["capabilities"] = capabilities
    if service.read_only:
        context["readOnlyRootFilesystem"] = True
    for option in service.security_opt:
        context.update(_security_option(option, f"{origin}.security_opt", warn))
    _report_unsupported(service, origin, warn)
    return context


def sysctls(service: Service) -> list[dict[str, str]]:
    """The service's sysctls as Pod `securityContext.sysctls` entries."""
    return [{"name": name, "value": str(value)} for name, value in service.sysctls.items()]


def _user(user: str, origin: str, warn: Callable[[str], None]) -> dict[str, Any]:
    uid, _, gid = ("0" if part == "root" else part for part in user.partition(":"))
    if not uid.isdigit() or (gid and not gid.isdigit()):
        warn(f'{origin}: "{user}" names a user; Kubernetes needs numeric ids (like 1000:1000)')
        return {}
    context: dict[str, Any] = {"runAsUser": int(uid)}
    if gid:
        context["runAsGroup"] = int(gid)
    return context


def _security_option(option: str, origin: str, warn: Callable[[str], None]) -> dict[str, Any]:
    name, _, value = option.replace("=", ":", 1).partition(":")
    if name == "no-new-privileges" and value in ("", "true"):
        return {"allowPrivilegeEscalation": False}
    if name == "seccomp" and value == "unconfined":
        return {"seccompProfile": {"type": "Unconfined"}}
    if name == "apparmor" and value:
        if value == "unconfined":
            return {"appArmorProfile": {"type": "Unconfined"}}
        return {"appArmorProfile": {"type": "Localhost", "localhostProfile": value}}
    warn(f'{origin}: "{option}" has no Kubernetes equivalent; left out')
    return {}


def _report_unsupported(service: Service, origin: str, warn: Callable[[str], None]) -> None:
    if service.init:
        warn(f"{origin}.init: Kubernetes runs no init process in the container; left out")
    if service.ulimits:
        warn(f"{origin}.ulimits: Pods cannot set ulimits; left out")
    if service.devices:
        warn(f"{origin}.devices: host devices need a device plugin in Kubernetes; left out")
    if service.stop_signal:
        warn(f"{origin}.stop_signal: Kubernetes stops containers with SIGTERM; left out")
    if service.logging and service.logging.driver:
        warn(f"{origin}.logging: the cluster collects container output itself; left out")
    if service.domainname:
        warn(f"{origin}.domainname: has no Pod equivalent; left out")
