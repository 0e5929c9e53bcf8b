"""The network of a build's RUN steps: `default`, `host` or `none`, as `--network` says.

- `default`: one network namespace per build, pinned, connected to the
  engine's default bridge network (`Networks.ensure_default()`), so steps
  reach the outside through its masquerade and resolve names through its
  DNS responder; made at the first step that needs it, gone with the build.
- `host`: the namespace of the process running the build (no isolation).
- `none`: a pinned namespace with loopback only.

Every RUN step of the build that uses a mode shares its namespace, as
BuildKit's network pool does, so only the first pays for the veth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.build.request import DEFAULT, HOST, NONE, network_mode
from runtime.build.workspace import PREFIX, Workspace
from runtime.containers.spec import NamespaceMode
from runtime.linux import netns
from runtime.store import Store

if TYPE_CHECKING:
    from runtime.network import ResolverFiles


def endpoint_id(build_id: str) -> str:
    """The container id a build's endpoint on the default network is recorded under."""
    return hashlib.sha256(f"{PREFIX}{build_id}".encode()).hexdigest()


@dataclass(frozen=True)
class StepNetwork:
    """What a RUN step's container gets: its network namespace and its resolver files."""

    namespace: NamespaceMode
    files: dict[str, Path]
    hostname: str


class BuildNetworks:
    """The namespaces of one build's RUN steps, made on first use, removed with the build."""

    def __init__(self, store: Store, workspace: Workspace):
        self.store = store
        self.workspace = workspace
        self.hostname = workspace.id[:12]
        self._made: dict[str, StepNetwork] = {}

    def for_mode(self, mode: str) -> StepNetwork:
        """The network of a step run with `mode` (one of default, host, none)."""
        found = self._made.get(mode)
        if found is None:
            found = self._make(network_mode(mode))
            self._made[mode] = found
        return found

    def _make(self, mode: str) -> StepNetwork:
        from runtime.network import (
            Networks,
            ResolverOptions,
            host_resolver_files,
            isolated_resolver_files,
        )

        options = ResolverOptions(hostname=self.hostname)
        networks = Networks(self.store)
        if mode == HOST:
            files = host_resolver_files(options)
            return StepNetwork(NamespaceMode("host"), self._write(mode, files), self.hostname)
        pin = networks.namespace_path(f"{PREFIX}{self.workspace.id}-{mode}")
        netns.create(pin)
        self.workspace.on_close(lambda: netns.remove(pin))
        if mode == NONE:
            files = isolated_resolver_files(options)
        else:
            cid = endpoint_id(self.workspace.id)
            self.workspace.on_close(lambda: networks.forget(cid))
            default = networks.ensure_default()
            networks.connect(
                default.name,
                str(pin),
                container_id=cid,
                container_name=f"{PREFIX}{self.workspace.id}",
                hostname=self.hostname,
            )
            files = networks.resolver_files(cid, options)
        return StepNetwork(NamespaceMode("path", str(pin)), self._write(mode, files), self.hostname)

    def _write(self, mode: str, files: ResolverFiles) -> dict[str, Path]:
        directory = self.workspace.directory / f"network-{mode}"
        directory.mkdir(exist_ok=True)
        paths = {
            "hosts": directory / "hosts",
            "hostname": directory / "hostname",
            "resolv.conf": directory / "resolv.conf",
        }
        paths["hosts"].write_text(files.hosts)
        paths["hostname"].write_text(files.hostname)
        paths["resolv.conf"].write_text(files.resolv_conf)
        return paths


def sweep_networks(store: Store, build_id: str) -> None:
    """A dead build's pins and its endpoint on the default network."""
    from runtime.network import Networks

    networks = Networks(store)
    for mode in (DEFAULT, NONE):
        netns.remove(networks.namespace_path(f"{PREFIX}{build_id}-{mode}"))
    cid = endpoint_id(build_id)
    if networks.endpoints(container_id=cid):
        networks.forget(cid)
