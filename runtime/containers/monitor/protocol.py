"""The monitor's socket: attach clients and control messages, one datagram per message.

A SOCK_SEQPACKET unix socket keeps message boundaries, so a message is one
type byte and its payload:

    client -> monitor   i<data>  stdin        c  close stdin      r<rows> <cols>  resize
                        g  go (start now)     s  stop requested   p / u  paused / unpaused
    monitor -> client   o<data>  stdout       e<data>  stderr     x<code>  exited

Socket paths can pass the 108-byte limit of sun_path (deep engine roots), so
they are bound and reached through a short `/proc/self/fd/<dir>/<name>` path.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def short_path(path: str) -> Iterator[str]:
    """A path naming the same file through a descriptor of its directory, always short."""
    directory, name = os.path.split(path)
    fd = os.open(directory or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{name}"
    finally:
        os.close(fd)


def listen(path: str) -> socket.socket:
    """Bind and listen on the monitor's socket (a stale file is replaced)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    with short_path(path) as short:
        server.bind(short)
    os.chmod(path, 0o600)
    server.listen(16)
    server.setblocking(False)
    return server


def connect(path: str, timeout: float | None = 5.0) -> socket.socket:
    """Connect to a monitor's socket; OSError if nothing listens there."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    client.settimeout(timeout)
    try:
        with short_path(path) as short:
            client.connect(short)
    except BaseException:
        client.close()
        raise
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
