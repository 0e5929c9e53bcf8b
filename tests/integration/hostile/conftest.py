"""The runtime's container fixtures, for the escape attempts."""

from tests.integration.runtime.conftest import busybox_layer, engine

__all__ = ["busybox_layer", "engine"]
