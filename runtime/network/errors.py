"""The network layer's exceptions, each a message a user can act on."""

from __future__ import annotations

from runtime.errors import EngineError


class NetworkError(EngineError):
    """A network, endpoint, address or published port could not be made or found."""


class NetworkNotFound(NetworkError):
    """No network has the given name or id."""


class AddressError(NetworkError):
    """An address pool, subnet, gateway or static address is invalid or exhausted."""


class PortError(NetworkError):
    """A port specification is invalid or a host port is already taken."""
