"""The monitor's side of attach: clients on its socket, output to them, their input to stdin.

A client that cannot keep up gets its messages queued, and is dropped past
QUEUE_LIMIT bytes, so a stuck `attach` never blocks the container or its log.
Stdin data is queued for the container's stdin pipe and written as the
container reads it.
"""

from __future__ import annotations

import _socket
import os
import select

from runtime.containers.monitor import protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.containers.monitor.main import Monitor

QUEUE_LIMIT = 8 * 1024 * 1024
RECEIVE_SIZE = protocol.CHUNK + 64


class Client:
    """One connection to the monitor's socket."""

    def __init__(self, connection: _socket.socket):
        self.connection = connection
        self.queue: list[bytes] = []
        self.queued = 0
        self.sent_stdin = False


class Clients:
    """Every client of one monitor, and the container's stdin."""

    def __init__(self, monitor: Monitor):
        self.monitor = monitor
        self.clients: dict[int, Client] = {}
        self.stdin_queue: list[bytes] = []
        self.stdin_closing = False

    def accept(self, fd: int, events: int) -> None:
        try:
            connection = protocol.accept(self.monitor.server)
        except BlockingIOError:
            return
        self.clients[connection.fileno()] = Client(connection)
        self.monitor.watch(connection.fileno(), self.on_client)

    def on_client(self, fd: int, events: int) -> None:
        client = self.clients.get(fd)
        if client is None:
            return
        if events & select.POLLOUT:
            self._flush(client)
        if events & select.POLLIN:
            try:
                message = client.connection.recv(RECEIVE_SIZE)
            except BlockingIOError:
                return
            except OSError:
                message = b""
            if not message:
                self.drop(client)
                return
            self._handle(client, message[:1], message[1:])
        elif events & (select.POLLHUP | select.POLLERR):
            self.drop(client)

    def _handle(self, client: Client, kind: bytes, payload: bytes) -> None:
        monitor = self.monitor
        if kind == protocol.STDIN:
            client.sent_stdin = True
            self.write_stdin(payload)
        elif kind == protocol.CLOSE_STDIN:
            self.close_stdin()
        elif kind == protocol.RESIZE:
            rows, _, columns = payload.decode().partition(" ")
            self.resize(int(rows), int(columns))
        elif kind == protocol.GO:
            monitor.waiting_go = False
        elif kind == protocol.STOP:
            monitor.request_stop()
        elif kind == protocol.PAUSED:
            monitor.paused = True
        elif kind == protocol.UNPAUSED:
            monitor.paused = False

    # -- output to clients -----------------------------------------------------------------

    def broadcast(self, kind: bytes, data: bytes) -> None:
        for start in range(0, max(len(data), 1), protocol.CHUNK):
            message = kind + data[start : start + protocol.CHUNK]
            for client in list(self.clients.values()):
                self._send(client, message)

    def _send(self, client: Client, message: bytes) -> None:
        if not client.queue:
            try:
                client.connection.send(message)
                return
            except BlockingIOError:
                pass
            except OSError:
                self.drop(client)
                return
            self.monitor.poll.modify(client.connection.fileno(), select.POLLIN | select.POLLOUT)
        client.queue.append(message)
        client.queued += len(message)
        if client.queued > QUEUE_LIMIT:
            self.drop(client)

    def _flush(self, client: Client) -> None:
        while client.queue:
            try:
                client.connection.send(client.queue[0])
            except BlockingIOError:
                return
            except OSError:
                self.drop(client)
                return
            client.queued -= len(client.queue.pop(0))
        self.monitor.poll.modify(client.connection.fileno(), select.POLLIN)

    def drop(self, client: Client) -> None:
        fd = client.connection.fileno()
        if self.clients.pop(fd, None) is None:
            return
        self.monitor.unwatch(fd)
        client.connection.close()
        if client.sent_stdin and self.monitor.config.get("stdin_once"):
            self.close_stdin()

    def close_all(self) -> None:
        """Send what is queued (briefly, blocking) and close every client."""
        for client in list(self.clients.values()):
            client.connection.settimeout(2.0)
            try:
                while client.queue:
                    client.connection.send(client.queue.pop(0))
            except OSError:
                pass
            self.drop(client)

    # -- stdin and terminal ----------------------------------------------------------------

    def write_stdin(self, data: bytes) -> None:
        monitor = self.monitor
        if monitor.tty and monitor.master >= 0:
            target = monitor.master
        elif monitor.stdin_w >= 0:
            target = monitor.stdin_w
        else:
            return
        if not self.stdin_queue:
            try:
                written = os.write(target, data)
                data = data[written:]
            except BlockingIOError:
                pass
            except OSError:
                return
            if not data:
                return
            if target == monitor.stdin_w:
                monitor.watch(target, self.on_stdin_writable, select.POLLOUT)
        self.stdin_queue.append(data)

    def on_stdin_writable(self, fd: int, events: int) -> None:
        while self.stdin_queue:
            try:
                written = os.write(fd, self.stdin_queue[0])
            except BlockingIOError:
                return
            except OSError:
                self.stdin_queue.clear()
                break
            head = self.stdin_queue.pop(0)[written:]
            if head:
                self.stdin_queue.insert(0, head)
                return
        self.monitor.unwatch(fd)
        if self.stdin_closing:
            self.close_stdin()

    def close_stdin(self) -> None:
        monitor = self.monitor
        if monitor.stdin_w < 0:
            return
        if self.stdin_queue:
            self.stdin_closing = True
            return
        monitor.unwatch(monitor.stdin_w)
        os.close(monitor.stdin_w)
        monitor.stdin_w = -1

    def resize(self, rows: int, columns: int) -> None:
        if self.monitor.master >= 0:
            import fcntl  # only terminals are resized: not in every monitor's memory
            import struct
            import termios

            size = struct.pack("HHHH", rows, columns, 0, 0)
            try:
                fcntl.ioctl(self.monitor.master, termios.TIOCSWINSZ, size)
            except OSError:
                pass
