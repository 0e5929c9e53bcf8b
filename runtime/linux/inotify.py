"""inotify(7): wake up when a file changes, instead of polling it.

    with Watch() as watch:
        watch.add(path, ATTRIB | MODIFY)
        if watch.wait(timeout):      # True: something happened
            ...

Waiters on container state watch the events bell; `logs -f` watches the log
directory (appends and rotations).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
from pathlib import Path
from types import TracebackType

from runtime.errors import SyscallError
from runtime.linux.syscalls import _libc

MODIFY = 0x00000002
ATTRIB = 0x00000004
CLOSE_WRITE = 0x00000008
MOVED_FROM = 0x00000040
MOVED_TO = 0x00000080
CREATE = 0x00000100
DELETE = 0x00000200
DELETE_SELF = 0x00000400
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC


class Watch:
    """One inotify instance with any number of watched paths."""

    def __init__(self) -> None:
        fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise SyscallError("inotify_init1", ctypes.get_errno())
        self.fd = int(fd)

    def add(self, path: str | os.PathLike[str], mask: int) -> int:
        """Watch `path` for the events in `mask`; returns the watch descriptor."""
        result = _libc.inotify_add_watch(self.fd, os.fsencode(Path(path)), ctypes.c_uint32(mask))
        if result < 0:
            raise SyscallError("inotify_add_watch", ctypes.get_errno(), os.fspath(path))
        return int(result)

    def wait(self, timeout: float | None) -> bool:
        """Block until an event arrives (True) or `timeout` seconds pass (False); drains events."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        self.drain()
        return True

    def drain(self) -> None:
        """Discard the pending events."""
        while True:
            try:
                if not os.read(self.fd, 65536):
                    return
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
