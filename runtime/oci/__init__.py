"""The OCI runtime: the config.json model, the embedded runtime, and the switch to crun/runc.

    from runtime.oci import EmbeddedRuntime, runtime_for, load_spec

Names load on first use, so `pycompose-runtime` imports only what it runs.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CommandRuntime": "runtime.oci.backends",
    "OCIRuntime": "runtime.oci.backends",
    "runtime_for": "runtime.oci.backends",
    "EmbeddedRuntime": "runtime.oci.runtime",
    "ExitStatus": "runtime.oci.runtime",
    "wait_pid": "runtime.oci.runtime",
    "Spec": "runtime.oci.spec",
    "load_spec": "runtime.oci.spec",
    "write_spec": "runtime.oci.spec",
    "ContainerRecord": "runtime.oci.state",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'runtime.oci' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
