"""A small network lab for tests: another host on a LAN, and stand-ins for containers.

The test process's own (private) network namespace plays the host. `Lab`
adds a second pinned namespace playing another machine on the LAN, joined by
a veth (host 198.51.100.1, other host 198.51.100.2, a documentation range),
and "containers": pinned namespaces with a server process inside, made with
`nsenter`. Everything it makes it removes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from runtime.linux import netns
from runtime.network import Endpoint

ECHO_SERVER = str(Path(__file__).with_name("echo_server.py"))
DNS_SERVER = str(Path(__file__).parents[2] / "runtime" / "network" / "dns_server.py")
HOST_ADDRESS = "198.51.100.1"
OTHER_ADDRESS = "198.51.100.2"


def run(argv: list[str], timeout: float = 10) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, never raise on failure."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def in_netns(path: str | Path, argv: list[str]) -> list[str]:
    """`argv` wrapped to run in the network namespace at `path`."""
    return ["nsenter", f"--net={path}", "--", *argv]


def http_get(url: str, netns_path: str | Path | None = None, timeout: float = 3) -> str | None:
    """The body of a GET, from here or from inside a namespace; None if it failed."""
    if netns_path is None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return str(response.read().decode())
        except OSError:
            return None
    result = run(in_netns(netns_path, ["curl", "-sf", "-m", str(timeout), url]), timeout + 5)
    return result.stdout if result.returncode == 0 else None


def udp_ask(address: str, port: int, netns_path: str | Path | None = None) -> str | None:
    """Send a datagram and return the answer, from here or from inside a namespace."""
    code = (
        "import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(2);"
        f"s.sendto(b'hi',({address!r},{port}));print(s.recv(2048).decode())"
    )
    argv = [sys.executable, "-c", code]
    result = run(in_netns(netns_path, argv) if netns_path else argv)
    return result.stdout.strip() if result.returncode == 0 else None


@dataclass
class Box:
    """A container stand-in: a pinned namespace, its endpoints, its id."""

    id: str
    name: str
    netns: Path
    endpoints: list[Endpoint]

    @property
    def address(self) -> str:
        return str(self.endpoints[0].address)


@dataclass
class Process:
    """A process the lab started, ended by its pid."""

    popen: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)


@dataclass
class Lab:
    """The other host, the containers' namespaces, and the processes in them."""

    directory: Path
    lan: Path = field(init=False)
    processes: list[Process] = field(default_factory=list)
    namespaces: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lan = self.namespace("lan")
        commands = [
            [
                "ip",
                "link",
                "add",
                "lan0",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                str(self.lan),
            ],
            ["ip", "addr", "add", f"{HOST_ADDRESS}/24", "dev", "lan0"],
            ["ip", "link", "set", "lan0", "up"],
            in_netns(self.lan, ["ip", "addr", "add", f"{OTHER_ADDRESS}/24", "dev", "eth0"]),
            in_netns(self.lan, ["ip", "link", "set", "eth0", "up"]),
        ]
        for argv in commands:
            subprocess.run(argv, check=True)

    def namespace(self, name: str) -> Path:
        """A new pinned network namespace (loopback only)."""
        path = netns.create(self.directory / f"netns-{name}")
        self.namespaces.append(path)
        return path

    def adopt(self, path: Path) -> Path:
        """Remove this pinned namespace with the lab's own."""
        self.namespaces.append(path)
        return path

    def start(self, netns_path: str | Path, argv: list[str]) -> Process:
        """Start `argv` inside a namespace."""
        process = Process(
            subprocess.Popen(
                in_netns(netns_path, argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        self.processes.append(process)
        return process

    def serve(self, netns_path: str | Path, name: str, *, tcp: int = 80, udp: int = 0) -> Process:
        """Start an echo server inside a namespace; return once it is listening."""
        argv = [sys.executable, ECHO_SERVER, name, "--tcp", str(tcp), "--udp", str(udp)]
        process = self.start(netns_path, argv)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = run(
                in_netns(netns_path, ["curl", "-sf", "-m", "1", f"http://127.0.0.1:{tcp}/"])
            )
            if probe.returncode == 0:
                return process
            time.sleep(0.05)
        raise AssertionError(f"echo server {name} did not start")

    def serve_dns(self, names: dict[str, list[str]]) -> None:
        """A DNS server on the other host answering `names` (a stand-in for a LAN resolver)."""
        config = {
            "listen": [OTHER_ADDRESS],
            "views": {"lan": {"names": names, "reverse": {}}},
            "clients": {HOST_ADDRESS: {"views": ["lan"], "forward": False}},
        }
        path = self.directory / "lan-dns.json"
        path.write_text(json.dumps(config))
        self.start(self.lan, [sys.executable, "-I", DNS_SERVER, str(path)])
        time.sleep(0.3)

    def close(self) -> None:
        """Stop every process and remove every namespace and link the lab made (idempotent)."""
        for process in self.processes:
            process.stop()
        subprocess.run(["ip", "link", "del", "lan0"], capture_output=True, check=False)
        for path in self.namespaces:
            netns.remove(path)
        self.processes.clear()
        self.namespaces.clear()


def resolve(netns_path: str | Path, name: str, resolv_conf: str, scratch: Path) -> list[str]:
    """Addresses of `name` as glibc's resolver sees them with this resolv.conf, inside a namespace."""
    conf = scratch / "resolv.conf"
    conf.write_text(resolv_conf)
    script = f"mount --bind {conf} /etc/resolv.conf && getent ahostsv4 {name}"
    argv = in_netns(
        netns_path, ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
    )
    result = run(argv)
    return sorted({line.split()[0] for line in result.stdout.splitlines() if line.strip()})


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def mount_points() -> list[str]:
    """This process's mount points, to check that a test leaves none behind."""
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        return sorted(line.split()[4] for line in handle)


def kernel_state() -> dict[str, str]:
    """What a network test must leave as it found: links, addresses, routes, rules."""
    return {
        "links": run(["ip", "-o", "link", "show"]).stdout,
        "addresses": run(["ip", "-o", "addr", "show"]).stdout,
        "routes": run(["ip", "route", "show", "table", "all"]).stdout,
        "rules": run(["nft", "list", "ruleset"]).stdout,
    }
