"""Containers: image + rootfs + bundle + monitor; the manager behind `pycompose container`.

    from runtime.containers import ContainerRequest, Containers, ContainerSpec

Names load on first use: the monitor imports modules of this package and must
not pull in the rest of the engine.
"""

from __future__ import annotations

_EXPORTS = {
    "Container": "runtime.containers.model",
    "ContainerRequest": "runtime.containers.model",
    "ContainerState": "runtime.containers.model",
    "Event": "runtime.containers.model",
    "ExecOptions": "runtime.containers.model",
    "Health": "runtime.containers.model",
    "Healthcheck": "runtime.containers.model",
    "LogConfig": "runtime.containers.model",
    "LogEntry": "runtime.containers.model",
    "NetworkAttachment": "runtime.containers.model",
    "RestartPolicy": "runtime.containers.model",
    "Containers": "runtime.containers.manager",
    "ContainerError": "runtime.containers.errors",
    "ContainerNotFound": "runtime.containers.errors",
    "ContainerStateConflict": "runtime.containers.errors",
    "ContainerSpec": "runtime.containers.spec",
    "MountSpec": "runtime.containers.spec",
    "NamespaceMode": "runtime.containers.spec",
    "Resources": "runtime.containers.spec",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'runtime.containers' has no attribute {name!r}")
    import importlib  # not at import time: the monitor imports this package

    return getattr(importlib.import_module(_EXPORTS[name]), name)
