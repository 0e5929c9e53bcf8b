"""A tiny server for network tests: HTTP and UDP answers that name the server and the client.

Run: python echo_server.py NAME [--tcp PORT] [--udp PORT]
An HTTP GET gets `NAME CLIENT_IP\\n`; a UDP datagram gets `NAME CLIENT_IP`.
"""

from __future__ import annotations

import argparse
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_udp(name: str, port: int) -> None:
    """Answer every datagram on `port` with the server's name and the sender's address."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", port))
        while True:
            _, peer = sock.recvfrom(2048)
            sock.sendto(f"{name} {peer[0]}".encode(), peer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--tcp", type=int, default=80)
    parser.add_argument("--udp", type=int, default=0)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"{args.name} {self.client_address[0]}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *values: object) -> None:
            pass

    if args.udp:
        threading.Thread(target=serve_udp, args=(args.name, args.udp), daemon=True).start()
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer(("0.0.0.0", args.tcp), Handler).serve_forever()


if __name__ == "__main__":
    main()
