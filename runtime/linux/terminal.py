"""Pseudo-terminals for containers: a pty from the container's own devpts, its master sent out."""

from __future__ import annotations

import array
import fcntl
import os
import socket
import struct
import termios

from runtime.errors import SyscallError

TIOCSPTLCK = 0x40045431
TIOCGPTN = 0x80045430


def open_pty(ptmx: str = "/dev/ptmx") -> tuple[int, int]:
    """Open a new pty pair from `ptmx` (the current /dev/pts instance): (master, slave)."""
    try:
        master = os.open(ptmx, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
        number = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, b"\0" * 4))[0]
        slave = os.open(f"/dev/pts/{number}", os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        raise SyscallError("open", exc.errno or 5, ptmx, "allocating a terminal") from None
    return master, slave


def bind_console(slave: int) -> None:
    """Bind the pty `slave` over /dev/console (created on the container's /dev tmpfs)."""
    from runtime.linux import syscalls

    path = os.ttyname(slave)
    try:
        os.close(
            os.open("/dev/console", os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        )
    except OSError as exc:
        raise SyscallError("open", exc.errno or 5, "/dev/console") from None
    syscalls.mount(path, "/dev/console", None, syscalls.MS_BIND)


def make_controlling_terminal(slave: int) -> None:
    """Start a session, take `slave` as its controlling terminal and as stdin/out/err."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    if slave > 2:
        os.close(slave)


def send_fd(sock: socket.socket | int, fd: int, name: str = "console") -> None:
    """Send `fd` over a connected unix socket (SCM_RIGHTS), as runc's --console-socket does."""
    if isinstance(sock, int):
        sock = socket.socket(fileno=sock)
        try:
            socket.send_fds(sock, [name.encode()], [fd])
        finally:
            sock.detach()
        return
    socket.send_fds(sock, [name.encode()], [fd])


def receive_fd(sock: socket.socket) -> int:
    """Receive one descriptor sent with send_fd."""
    _, fds, _, _ = socket.recv_fds(sock, 1024, 1)
    if not fds:
        raise SyscallError("recvmsg", 5, detail="no terminal descriptor received")
    return fds[0]


def set_window_size(fd: int, rows: int, columns: int) -> None:
    """TIOCSWINSZ on a terminal."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, array.array("H", [rows, columns, 0, 0]).tobytes())
