"""The container manager's errors: each one line a user can act on."""

from __future__ import annotations

from runtime.errors import EngineError


class ContainerError(EngineError):
    """A container cannot be made, started, stopped, changed or removed."""


class ContainerNotFound(ContainerError):
    """No container has that name, id or id prefix."""


class ContainerStateConflict(ContainerError):
    """The container is in the wrong state for the request (running, stopped, paused...)."""


class ContainerStartError(ContainerError):
    """The container's process could not start; `exit_code` is Docker's (126, 127, 128)."""

    def __init__(self, message: str, exit_code: int = 128):
        super().__init__(message)
        self.exit_code = exit_code
