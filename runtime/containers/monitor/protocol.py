"""The monitor's socket: attach clients and control messages, one datagram per message.

A SOCK_SEQPACKET unix socket keeps message boundaries, so a message is one
type byte and its payload:

    client -> monitor   i<data>  stdin        c  close stdin      r<rows> <cols>  resize
                        g  go (start now)     s  stop requested   p / u  paused / unpaused
    monitor -> client   o<data>  stdout       e<data>  stderr     x<code>  exited

Socket paths can pass the 108-byte limit of sun_path (deep engine roots), so
they are bound and reached through a short `/proc/self/fd/<dir>/<name>` path.
The monitor's side uses the `_socket` extension directly: the `socket`
module would bring `enum` and `selectors` into every monitor's memory.
"""

from __future__ import annotations

import _socket
import marshal
import os
import select
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from typing import Any

STDIN = b"i"
CLOSE_STDIN = b"c"
RESIZE = b"r"
GO = b"g"
STOP = b"s"
PAUSED = b"p"
UNPAUSED = b"u"
STDOUT = b"o"
STDERR = b"e"
EXITED = b"x"
CHUNK = 32 * 1024


def short_path(path: str) -> tuple[int, str]:
    """A descriptor of `path`'s directory (the caller closes it) and a short path through it."""
    directory, name = os.path.split(path)
    fd = os.open(directory or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return fd, f"/proc/self/fd/{fd}/{name}"


def listen(path: str) -> _socket.socket:
    """Bind and listen on the monitor's socket (a stale file is replaced)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
    fd, short = short_path(path)
    try:
        server.bind(short)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
    server.listen(16)
    server.setblocking(False)
    return server


def accept(server: _socket.socket) -> _socket.socket:
    """The next client, non-blocking (BlockingIOError if none is waiting)."""
    fd, _ = server._accept()  # type: ignore[attr-defined]
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0, fd)
    client.setblocking(False)
    return client


def connect(path: str, timeout: float | None = 5.0) -> socket.socket:
    """Connect to a monitor's socket (client side); OSError if nothing listens there."""
    import socket

    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    client.settimeout(timeout)
    fd, short = short_path(path)
    try:
        client.connect(short)
    except BaseException:
        client.close()
        raise
    finally:
        os.close(fd)
    client.settimeout(None)
    return client


def send_message(path: str, message: bytes) -> bool:
    """Send one control message to a monitor; False if it is not listening."""
    try:
        client = connect(path, timeout=2.0)
    except OSError:
        return False
    try:
        client.send(message)
    except OSError:
        return False
    finally:
        client.close()
    return True


def frame(message: dict[str, Any]) -> bytes:
    """One message between a monitor, its helpers and its launcher: length, then marshal data.

    Both ends run the same interpreter, and marshal needs no import (json would
    bring `re` into the monitor).
    """
    data = marshal.dumps(message)
    return len(data).to_bytes(4, "big") + data


class Frames:
    """The reading end of a pipe carrying `frame`s."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""

    def _complete(self) -> bool:
        return len(self.buffer) >= 4 and len(self.buffer) >= 4 + int.from_bytes(
            self.buffer[:4], "big"
        )

    def read(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None at end of file or when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while not self._complete():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        size = int.from_bytes(self.buffer[:4], "big")
        data, self.buffer = self.buffer[4 : 4 + size], self.buffer[4 + size :]
        message: dict[str, Any] = marshal.loads(data)
        return message

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def write_frame(fd: int, message: dict[str, Any]) -> bool:
    """Send one message on a pipe; False if nobody reads it any more."""
    try:
        os.write(fd, frame(message))
    except OSError:
        return False
    return True
