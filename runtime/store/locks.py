"""Cross-process locks: flock(2) on files under the runtime root, released when a holder dies."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from runtime.errors import StoreError


class FileLock:
    """An exclusive (or shared) advisory lock on `path`, usable as a context manager.

    The kernel drops an flock when its holder dies, so a process killed with
    SIGKILL never leaves a lock behind.
    """

    def __init__(
        self,
        path: Path,
        *,
        shared: bool = False,
        timeout: float | None = None,
        description: str | None = None,
    ):
        self.path = path
        self.shared = shared
        self.timeout = timeout
        self.description = description or str(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting at most `timeout` seconds (forever when None).

        A holder may delete the lock file before releasing it (`discard`): whoever
        was waiting then holds a lock on a file nobody else can open, so it checks
        that the file it locked is still the one at `path` and tries again if not.
        """
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            fd = self._acquire_once(deadline)
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self._fd = fd

    def _acquire_once(self, deadline: float | None) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, mode | (fcntl.LOCK_NB if deadline is not None else 0))
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or deadline is None:
                    os.close(fd)
                    raise StoreError(f"cannot lock {self.description}: {exc.strerror}") from exc
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreError(
                        f"{self.description} is locked by another pycompose command; "
                        f"waited {self.timeout:g} s"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        return fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Delete the lock file, then release: for a lock whose object is gone."""
        if self._fd is not None and not self.shared:
            self.path.unlink(missing_ok=True)
        self.release()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
