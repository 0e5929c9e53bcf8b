"""The engine's exception family: every failure a user can act on derives from EngineError."""

from __future__ import annotations


class EngineError(Exception):
    """A failure of the container engine, with a message a user can act on."""


class StoreError(EngineError):
    """The metadata database, blob store or a lock failed or holds something unexpected."""


class CommandError(EngineError):
    """An external program the engine relies on failed or is missing."""


class SyscallError(EngineError):
    """A system call failed; the message names the call, the path and the errno name."""

    def __init__(self, call: str, errno_value: int, path: str | None = None, detail: str = ""):
        import errno as _errno
        import os as _os

        self.call = call
        self.errno = errno_value
        self.path = path
        name = _errno.errorcode.get(errno_value, str(errno_value))
        where = f" on {path}" if path else ""
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{call}{where} failed: {name}: {_os.strerror(errno_value)}{extra}")


class VolumeError(EngineError):
    """A volume does not exist, is in use, or cannot be created or filled."""
