"""The embedded DNS responder's configuration and process: render, write, start, reload, stop.

`render_config` turns networks and endpoints into the JSON the responder
reads (see dns_server.py); `ResponderProcess` keeps exactly one responder per
engine root running while any network exists, and tells it of every change.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runtime.network import dns_server
from runtime.network.errors import NetworkError
from runtime.network.model import Endpoint, Network, PublishedPort

STOP_TIMEOUT = 5.0
APPLY_TIMEOUT = 10.0


def render_config(
    networks: Sequence[Network],
    endpoints: Sequence[Endpoint],
    resolvers: Mapping[str, Sequence[str]],
    upstreams: Sequence[str],
    reserve: Sequence[PublishedPort] = (),
) -> dict[str, Any]:
    """The responder's configuration for these networks, active endpoints and published ports."""
    by_id = {network.id: network for network in networks}
    views: dict[str, dict[str, Any]] = {
        network.id: {"names": {}, "reverse": {}} for network in networks
    }
    clients: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        network = by_id.get(endpoint.network_id)
        if network is None or not endpoint.active:
            continue
        view = views[network.id]
        address = str(endpoint.address)
        for name in endpoint.names:
            view["names"].setdefault(name, [])
            if address not in view["names"][name]:
                view["names"][name].append(address)
        view["reverse"][address] = endpoint.container_name or endpoint.container_id[:12]
        client = clients.setdefault(
            address, {"views": [], "upstreams": [], "forward": False, "containers": []}
        )
        if endpoint.container_id not in client["containers"]:
            client["containers"].append(endpoint.container_id)
    # A container's every address sees the names of all its networks.
    networks_of: dict[str, list[str]] = {}
    for endpoint in endpoints:
        if endpoint.active and endpoint.network_id in by_id:
            networks_of.setdefault(endpoint.container_id, [])
            if endpoint.network_id not in networks_of[endpoint.container_id]:
                networks_of[endpoint.container_id].append(endpoint.network_id)
    for client in clients.values():
        for container_id in client.pop("containers"):
            for network_id in networks_of.get(container_id, []):
                if network_id not in client["views"]:
                    client["views"].append(network_id)
                if not by_id[network_id].internal:
                    client["forward"] = True
            for server in resolvers.get(container_id, []):
                if server not in client["upstreams"]:
                    client["upstreams"].append(server)
    return {
        "listen": [str(network.gateway) for network in networks],
        "upstreams": list(upstreams),
        "views": views,
        "clients": clients,
        "reserve": [
            {"protocol": port.protocol, "address": port.host_ip, "port": port.host_port}
            for port in reserve
        ],
    }


class ResponderProcess:
    """The responder of one engine root: its config file, pid file and log under `directory`."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.config_path = directory / "dns.json"
        self.pid_path = directory / "dns.pid"
        self.log_path = directory / "dns.log"
        self.applied_path = directory / "dns.json.applied"
        self._running: tuple[str, str] | None = None  # (config, generation) this process applied

    def pid(self) -> int | None:
        """The running responder's pid, or None (a stale pid file counts as none)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\0")
        except OSError:
            return None
        if os.fsencode(self.config_path) not in cmdline:
            return None
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return None
        except OSError:
            return None
        return pid

    def update(self, config: Mapping[str, Any]) -> None:
        """Write `config`; start the responder if needed, else make it re-read; stop if idle."""
        if not config.get("listen"):
            self.stop()
            return
        body = json.dumps(config, sort_keys=True)
        pid = self.pid()
        if pid is not None and self._still_running(body):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        generation = str(time.time_ns())
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**config, "generation": generation}, sort_keys=True, indent=1))
        os.replace(tmp, self.config_path)
        if pid is None:
            self._start()
        else:
            os.kill(pid, signal.SIGHUP)
        self._wait_applied(generation)
        self._running = (body, generation)

    def _still_running(self, body: str) -> bool:
        """Whether the responder runs exactly `body`: the configuration this process had it
        apply last, with nothing written or applied since (by this or another process)."""
        if self._running is None or self._running[0] != body:
            return False
        generation = self._running[1]
        try:
            if self.applied_path.read_text() != generation:
                return False
            written = json.loads(self.config_path.read_text())
        except (OSError, ValueError):
            return False
        return isinstance(written, dict) and written.get("generation") == generation

    def _wait_applied(self, generation: str) -> None:
        deadline = time.monotonic() + APPLY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.applied_path.read_text() == generation:
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.005)
        raise NetworkError(
            f"the DNS responder did not take its new configuration; see {self.log_path}"
        )

    def _start(self) -> None:
        argv = [
            sys.executable,
            "-I",
            dns_server.__file__,
            str(self.config_path),
            "--pidfile",
            str(self.pid_path),
            "--daemon",
        ]
        with open(self.log_path, "ab") as log:
            result = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False, timeout=30
            )
        if result.returncode != 0 or self.pid() is None:
            raise NetworkError(f"the DNS responder did not start; see {self.log_path}")

    def stop(self) -> None:
        """Stop the responder (if running) and remove its files."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            # Wait on the process itself, not on pid(): an exiting process loses its
            # command line before it is gone, and would look stopped too early.
            deadline = time.monotonic() + STOP_TIMEOUT
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
                while _running(pid):
                    time.sleep(0.01)
        for path in (self.config_path, self.pid_path, self.log_path, self.applied_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def _running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (a dead process awaiting its reaper)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False
