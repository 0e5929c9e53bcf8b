"""The embedded DNS responder: answers containers' names on their networks, forwards the rest.

A small program of its own, standard library only, started by the network
layer when the first network exists and stopped with the last one. It listens
on UDP and TCP port 53 of every network's gateway address and reads one JSON
file that the engine rewrites (atomically) whenever an endpoint comes or goes:

    {"generation": 7,
     "listen": ["10.89.0.1"],
     "reserve": [{"protocol": "tcp", "address": "", "port": 8080}],
     "upstreams": ["192.0.2.53"],
     "views": {"<network id>": {"names": {"web": ["10.89.0.2"]},
                                "reverse": {"10.89.0.2": "app-web-1"}}},
     "clients": {"10.89.0.2": {"views": ["<network id>"],
                               "upstreams": [], "forward": true}}}

A query is answered from the views of the network(s) its source address is
on, so a container sees the names of its own networks only, and a name held
by several containers (a scaled service) gets every address. Other names go
to the client's own `dns` servers, else to the host's, unless the client is on
internal networks only. The file is re-read on SIGHUP and whenever it changed,
so an answer never lags behind the engine's last write; once its sockets match
it, the responder writes the file's `generation` to CONFIG.applied.

It also holds (binds, without listening) every published host port, so that
no program on the host can later bind a port whose traffic the kernel already
sends to a container.

Run: python dns_server.py CONFIG [--pidfile PATH] [--daemon]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

TYPE_A = 1
TYPE_PTR = 12
TYPE_AAAA = 28
CLASS_IN = 1
RCODE_OK = 0
RCODE_FORMERR = 1
RCODE_SERVFAIL = 2
RCODE_NXDOMAIN = 3
RCODE_REFUSED = 5
TTL = 5
UPSTREAM_TIMEOUT = 2.0
IP_FREEBIND = 15


class Query:
    """The parts of a DNS query the responder needs."""

    def __init__(self, packet: bytes):
        if len(packet) < 12:
            raise ValueError("short packet")
        self.packet = packet
        self.id, self.flags, qdcount = struct.unpack("!HHH", packet[:6])
        if qdcount != 1 or self.flags & 0x8000:
            raise ValueError("not a single-question query")
        labels, offset = [], 12
        while True:
            if offset >= len(packet):
                raise ValueError("truncated name")
            length = packet[offset]
            offset += 1
            if length == 0:
                break
            if length > 63:
                raise ValueError("compressed or invalid name in question")
            labels.append(packet[offset : offset + length].decode("ascii", "replace"))
            offset += length
        if offset + 4 > len(packet):
            raise ValueError("truncated question")
        self.qtype, self.qclass = struct.unpack("!HH", packet[offset : offset + 4])
        self.question = packet[12 : offset + 4]
        self.name = ".".join(labels).lower()

    def reply(
        self, rcode: int, answers: list[bytes] | None = None, authoritative: bool = False
    ) -> bytes:
        """A response carrying `answers` (records whose name points at the question)."""
        answers = answers or []
        flags = 0x8000 | (self.flags & 0x7900) | 0x0080 | rcode
        if authoritative:
            flags |= 0x0400
        header = struct.pack("!HHHHHH", self.id, flags, 1, len(answers), 0, 0)
        return header + self.question + b"".join(answers)


def _record(rtype: int, rdata: bytes) -> bytes:
    return struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, TTL, len(rdata)) + rdata


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        raw = label.encode("ascii", "replace")[:63]
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _reverse_address(name: str) -> str | None:
    if not name.endswith(".in-addr.arpa"):
        return None
    parts = name[: -len(".in-addr.arpa")].split(".")
    if len(parts) != 4:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(reversed(parts))))
    except ValueError:
        return None


class Responder:
    """Holds the current configuration and answers queries from it."""

    def __init__(self, config_path: str):
        self.config_path = config_path
        self.config: dict[str, Any] = {}
        self.stamp: tuple[int, int] | None = None
        self.lock = threading.Lock()
        self.reload()

    def reload(self, force: bool = True) -> bool:
        """Re-read the configuration if it changed (or when forced); return whether it did."""
        try:
            info = os.stat(self.config_path)
        except FileNotFoundError:
            return False
        stamp = (info.st_ino, info.st_mtime_ns)
        if not force and stamp == self.stamp:
            return False
        try:
            with open(self.config_path, encoding="utf-8") as handle:
                config = json.load(handle)
        except (OSError, ValueError) as exc:
            print(f"dns: cannot read {self.config_path}: {exc}", file=sys.stderr, flush=True)
            return False
        with self.lock:
            self.config, self.stamp = config, stamp
        return True

    def _client(self, address: str) -> dict[str, Any]:
        return dict(self.config.get("clients", {}).get(address, {}))

    def answer(self, packet: bytes, client: str) -> bytes | None:
        """The response to `packet` from `client`, or None to forward it upstream."""
        self.reload(force=False)
        try:
            query = Query(packet)
        except ValueError:
            return _formerr(packet)
        with self.lock:
            config = self.config
        settings = config.get("clients", {}).get(client, {})
        views = [config.get("views", {}).get(v, {}) for v in settings.get("views", [])]
        if query.qclass == CLASS_IN:
            reverse = _reverse_address(query.name) if query.qtype == TYPE_PTR else None
            if reverse is not None:
                for view in views:
                    if reverse in view.get("reverse", {}):
                        rdata = _encode_name(view["reverse"][reverse])
                        return query.reply(RCODE_OK, [_record(TYPE_PTR, rdata)], True)
            addresses: list[str] = []
            for view in views:
                for address in view.get("names", {}).get(query.name.rstrip("."), []):
                    if address not in addresses:
                        addresses.append(address)
            if addresses:
                answers = []
                if query.qtype == TYPE_A:
                    answers = [_record(TYPE_A, ipaddress.IPv4Address(a).packed) for a in addresses]
                return query.reply(RCODE_OK, answers, True)
        if settings and not settings.get("forward", True):
            return query.reply(RCODE_REFUSED)
        return None

    def upstreams(self, client: str) -> list[str]:
        """Where to forward `client`'s other queries: its own servers, else the host's."""
        with self.lock:
            own = self._client(client).get("upstreams") or []
            return list(own or self.config.get("upstreams", []))


def _formerr(packet: bytes) -> bytes | None:
    if len(packet) < 12:
        return None
    ident, flags = struct.unpack("!HH", packet[:4])
    return struct.pack("!HHHHHH", ident, 0x8000 | (flags & 0x7900) | RCODE_FORMERR, 0, 0, 0, 0)


def _servfail(packet: bytes) -> bytes | None:
    try:
        return Query(packet).reply(RCODE_SERVFAIL)
    except ValueError:
        return _formerr(packet)


def forward_udp(packet: bytes, upstreams: list[str]) -> bytes | None:
    """Relay a query to the first upstream that answers over UDP."""
    for server in upstreams:
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(UPSTREAM_TIMEOUT)
            try:
                sock.sendto(packet, (server, 53))
                while True:
                    data, _ = sock.recvfrom(65535)
                    if data[:2] == packet[:2]:
                        return data
            except OSError:
                continue
    return _servfail(packet)


def forward_tcp(packet: bytes, upstreams: list[str]) -> bytes | None:
    """Relay a query to the first upstream that answers over TCP."""
    for server in upstreams:
        try:
            with socket.create_connection((server, 53), timeout=UPSTREAM_TIMEOUT) as sock:
                sock.sendall(struct.pack("!H", len(packet)) + packet)
                return _read_framed(sock)
        except (OSError, ValueError):
            continue
    return _servfail(packet)


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    return data


def _read_framed(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!H", _read_exact(sock, 2))
    return _read_exact(sock, length)


class Server:
    """The sockets on every listen address, and the loop that serves them."""

    def __init__(self, responder: Responder):
        self.responder = responder
        self.selector = selectors.DefaultSelector()
        self.sockets: dict[str, tuple[socket.socket, socket.socket]] = {}
        self.reserved: dict[tuple[str, str, int], socket.socket] = {}
        self.applied: tuple[int, int] | None = None
        # Signals wake the loop at once (set_wakeup_fd), so a SIGHUP applies without delay.
        self.wakeup, wakeup_write = socket.socketpair()
        self.wakeup.setblocking(False)
        wakeup_write.setblocking(False)
        self._wakeup_write = wakeup_write
        self.selector.register(self.wakeup, selectors.EVENT_READ, self._on_wakeup)
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.running = True
        self.reload_wanted = False

    def sync_sockets(self) -> None:
        """Listen on exactly the configured addresses."""
        wanted = set(self.responder.config.get("listen", []))
        for address in set(self.sockets) - wanted:
            for sock in self.sockets.pop(address):
                self.selector.unregister(sock)
                sock.close()
        for address in sorted(wanted - set(self.sockets)):
            try:
                pair = (_bound(address, socket.SOCK_DGRAM), _bound(address, socket.SOCK_STREAM))
            except OSError as exc:
                print(f"dns: cannot listen on {address}: {exc}", file=sys.stderr, flush=True)
                continue
            pair[1].listen(64)
            self.selector.register(pair[0], selectors.EVENT_READ, self._on_udp)
            self.selector.register(pair[1], selectors.EVENT_READ, self._on_tcp)
            self.sockets[address] = pair

    def _on_udp(self, sock: socket.socket) -> None:
        try:
            packet, peer = sock.recvfrom(65535)
        except OSError:
            return
        reply = self.responder.answer(packet, peer[0])
        if reply is not None:
            _send_quietly(sock, reply, peer)
            return
        upstreams = self.responder.upstreams(peer[0])
        self.pool.submit(lambda: _send_quietly(sock, forward_udp(packet, upstreams), peer))

    def _on_tcp(self, sock: socket.socket) -> None:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        self.pool.submit(self._serve_tcp, conn, peer[0])

    def _serve_tcp(self, conn: socket.socket, client: str) -> None:
        with conn:
            conn.settimeout(UPSTREAM_TIMEOUT * 2)
            try:
                packet = _read_framed(conn)
                reply = self.responder.answer(packet, client)
                if reply is None:
                    reply = forward_tcp(packet, self.responder.upstreams(client))
                if reply is not None:
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, ValueError):
                return

    def sync_reservations(self) -> None:
        """Hold exactly the configured host ports, so no program binds a published port."""
        wanted = {
            (item["protocol"], item.get("address", ""), int(item["port"]))
            for item in self.responder.config.get("reserve", [])
        }
        for key in set(self.reserved) - wanted:
            self.reserved.pop(key).close()
        for key in sorted(wanted - set(self.reserved)):
            protocol, address, port = key
            kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
            sock = socket.socket(socket.AF_INET, kind)
            try:
                sock.bind((address or "0.0.0.0", port))
            except OSError as exc:
                sock.close()
                print(
                    f"dns: cannot hold {protocol} port {port}: {exc}", file=sys.stderr, flush=True
                )
                continue
            self.reserved[key] = sock

    def apply(self) -> None:
        """Bring sockets in line with the configuration, then acknowledge its generation."""
        self.sync_sockets()
        self.sync_reservations()
        self.applied = self.responder.stamp
        generation = str(self.responder.config.get("generation", ""))
        ack = self.responder.config_path + ".applied"
        with open(ack + ".tmp", "w", encoding="ascii") as handle:
            handle.write(generation)
        os.replace(ack + ".tmp", ack)

    def _on_wakeup(self, sock: socket.socket) -> None:
        try:
            sock.recv(512)
        except OSError:
            pass

    def serve(self) -> None:
        """Serve until SIGTERM or SIGINT."""
        while self.running:
            if self.reload_wanted:
                self.reload_wanted = False
                self.responder.reload()
            else:
                self.responder.reload(force=False)
            if self.responder.stamp != self.applied:
                self.apply()
            for key, _ in self.selector.select(timeout=1.0):
                key.data(key.fileobj)
        for sock in [*(s for pair in self.sockets.values() for s in pair), *self.reserved.values()]:
            sock.close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _bound(address: str, kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The gateway address may be added to its bridge a moment after the config names it.
    sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    sock.bind((address, 53))
    return sock


def _send_quietly(sock: socket.socket, data: bytes | None, peer: Any) -> None:
    if data is None:
        return
    try:
        sock.sendto(data, peer)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, optionally detach, and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--pidfile")
    parser.add_argument("--daemon", action="store_true", help="detach once listening")
    args = parser.parse_args(argv)
    ready_write = None
    if args.daemon:
        ready_read, ready_write = os.pipe()
        if os.fork() > 0:
            os.close(ready_write)
            status = os.read(ready_read, 1)
            return 0 if status == b"1" else 1
        os.close(ready_read)
        os.setsid()
    server = Server(Responder(args.config))
    server.apply()
    signal.set_wakeup_fd(server._wakeup_write.fileno(), warn_on_full_buffer=False)

    def on_hangup(signum: int, frame: object) -> None:
        server.reload_wanted = True

    def on_stop(signum: int, frame: object) -> None:
        server.running = False

    signal.signal(signal.SIGHUP, on_hangup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(f"{os.getpid()}\n")
        os.replace(tmp, args.pidfile)
    if ready_write is not None:
        os.write(ready_write, b"1")
        os.close(ready_write)
    server.serve()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
