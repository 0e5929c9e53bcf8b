"""Published ports: kernel DNAT on 127.0.0.1 vs the container's address vs a userland proxy.

One HTTP server runs in a container's network namespace. The same run measures
requests per second (wrk, keep-alive, small body) and transfer throughput (curl,
a large body) three ways:

- direct:    straight to the container's address on the bridge;
- published: 127.0.0.1:8080, DNATed by pycompose's nftables table;
- proxy:     127.0.0.1:8081, a userland TCP proxy (what docker-proxy does),
             splicing bytes between two sockets in a thread per direction.

Everything happens in a private network namespace the script makes for itself.
Run as root: python bench/ports.py [--seconds 3] [--rounds 5] [--size-mb 256]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRIVATE_ENV = "PYCOMPOSE_BENCH_PRIVATE"
SMALL = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n"


# The server, run inside the container's namespace (--serve).


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, big: Path) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"GET /big"):
                size = big.stat().st_size
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                await writer.drain()
                with open(big, "rb") as handle:
                    await loop.sendfile(writer.transport, handle)
            else:
                writer.write(SMALL)
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(port: int, big: Path) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, big), "0.0.0.0", port, reuse_address=True, backlog=512
    )
    async with server:
        await server.serve_forever()


# The userland proxy (--proxy LISTEN_PORT TARGET_IP TARGET_PORT).


def _pump(source: socket.socket, sink: socket.socket) -> None:
    read_end, write_end = os.pipe()
    try:
        while True:
            moved = os.splice(source.fileno(), write_end, 1 << 20)
            if moved == 0:
                break
            while moved:
                moved -= os.splice(read_end, sink.fileno(), moved)
    except OSError:
        pass
    finally:
        os.close(read_end)
        os.close(write_end)
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _proxy(listen_port: int, target: tuple[str, int]) -> None:
    listener = socket.create_server(("127.0.0.1", listen_port), backlog=512, reuse_port=True)
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(target)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


# Measurements.


def _requests_per_second(url: str, seconds: int) -> float:
    result = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not match:
        raise SystemExit(f"wrk gave no rate:\n{result.stdout}{result.stderr}")
    return float(match.group(1))


def _throughput(url: str) -> float:
    """Bytes per second of one large download."""
    result = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["curl", "-sf", "-m", "1", url], capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def _bench(seconds: int, size_mb: int, rounds: int) -> None:
    from runtime.linux import netns
    from runtime.network import Networks, parse_port_spec
    from runtime.store import Store

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-ports-"))
    store = Store.open(scratch / "root")
    networks = Networks(store)
    big = scratch / "big"
    with open(big, "wb") as handle:
        handle.truncate(size_mb << 20)
    networks.create("bench")
    pin = netns.create(store.layout.run_root / "bench-netns")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        endpoint = networks.connect("bench", str(pin), container_id="b" * 64, container_name="web")
        networks.publish(endpoint.container_id, parse_port_spec("127.0.0.1:8080:80"))
        me = [sys.executable, str(Path(__file__).resolve())]
        processes.append(subprocess.Popen(["nsenter", f"--net={pin}", *me, "--serve", str(big)]))
        processes.append(subprocess.Popen([*me, "--proxy", str(endpoint.address)]))
        targets = {
            "direct": f"http://{endpoint.address}:80",
            "published": "http://127.0.0.1:8080",
            "proxy": "http://127.0.0.1:8081",
        }
        for url in targets.values():
            _wait_for(url + "/")
        rates: dict[str, list[float]] = {name: [] for name in targets}
        speeds: dict[str, list[float]] = {name: [] for name in targets}
        # Interleaved rounds, so warm-up and drift hit every path alike.
        for _ in range(rounds):
            for name, url in targets.items():
                rates[name].append(_requests_per_second(url + "/", seconds))
                speeds[name].append(_throughput(url + "/big"))
        results = {
            name: (statistics.median(rates[name]), statistics.median(speeds[name]))
            for name in targets
        }
        direct_rate, direct_speed = results["direct"]
        print(f"{'path':<10} {'req/s':>10} {'vs direct':>10} {'MiB/s':>10} {'vs direct':>10}")
        for name, (rate, speed) in results.items():
            print(
                f"{name:<10} {rate:>10.0f} {rate / direct_rate:>9.2f}x "
                f"{speed / 2**20:>10.0f} {speed / direct_speed:>9.2f}x"
            )
    finally:
        for process in processes:
            process.kill()
            process.wait()
        networks.forget("b" * 64)
        netns.remove(pin)
        networks.remove("bench")
        big.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per path")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--size-mb", type=int, default=256, help="size of the large body")
    parser.add_argument("--serve", metavar="BIG_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--proxy", metavar="TARGET_IP", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(80, Path(args.serve)))
        return
    if args.proxy:
        _proxy(8081, (args.proxy, 80))
        return
    if os.geteuid() != 0:
        raise SystemExit("bench/ports.py needs root (it makes a private network namespace)")
    if os.environ.get(PRIVATE_ENV) != "1":
        # Never touch the machine's own network: re-run inside a new namespace.
        argv = [
            "unshare",
            "--net",
            "--mount",
            "--propagation",
            "private",
            sys.executable,
            *sys.argv,
        ]
        env = {**os.environ, PRIVATE_ENV: "1"}
        raise SystemExit(subprocess.run(argv, env=env, check=False).returncode)
    _bench(args.seconds, args.size_mb, args.rounds)


if __name__ == "__main__":
    main()
