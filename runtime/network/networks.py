"""The network layer's public face: networks, endpoints, published ports, name resolution.

One `Networks` per engine root. Every change runs under the root's network
lock, records what is wanted in the store, changes the kernel, and then
brings the shared pieces up to date from the store: the nftables table, the
per-interface forwarding and the DNS responder's view (`sync`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from runtime.crashpoints import crashpoint
from runtime.network import endpoints as endpoint_ops
from runtime.network import forwarding, ipam, links, nftables, ports, resolver_files
from runtime.network.errors import NetworkError, NetworkNotFound, PortError
from runtime.network.model import (
    DEFAULT_DRIVER,
    Endpoint,
    Network,
    PortRequest,
    PublishedPort,
    ResolverFiles,
    ResolverOptions,
)
from runtime.network.records import NetworkRecords
from runtime.network.responder import ResponderProcess, render_config
from runtime.store.store import Store

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
LOCK_NAME = "network"
DEFAULT_NETWORK = "bridge"


class Networks:
    """Bridge networks of one engine root, and containers' attachments to them."""

    def __init__(self, store: Store, pools: Sequence[ipam.AddressPool] | None = None):
        self.store = store
        self.records = NetworkRecords(store.db)
        self.pools = tuple(pools) if pools is not None else ipam.pools_from_environment()
        self.table = store.layout.instance_name
        self.run_dir = Path(store.layout.run_root) / "network"
        self.responder = ResponderProcess(self.run_dir)
        self._loaded_rules: str | None = None

    def namespace_path(self, key: str) -> Path:
        """Where to pin a container's network namespace (for `runtime.linux.netns.create`)."""
        if not _NAME_RE.match(key):
            raise NetworkError(f"invalid network namespace name {key!r}")
        return Path(self.store.layout.run_root) / "netns" / key

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self.store.lock(LOCK_NAME):
            yield

    # networks

    def create(
        self,
        name: str,
        *,
        subnet: str | None = None,
        gateway: str | None = None,
        internal: bool = False,
        labels: Mapping[str, str] | None = None,
        options: Mapping[str, str] | None = None,
        driver: str = DEFAULT_DRIVER,
    ) -> Network:
        """Create a bridge network (bridge up, gateway address on it)."""
        if not _NAME_RE.match(name):
            raise NetworkError(
                f"invalid network name {name!r}: use letters, digits and '_.-', "
                "starting with a letter or digit"
            )
        if driver != DEFAULT_DRIVER:
            raise NetworkError(f"network driver {driver!r} is not supported (only 'bridge')")
        if gateway and not subnet:
            raise NetworkError("a gateway needs a subnet")
        with self._locked():
            if any(existing.name == name for existing in self.records.networks()):
                raise NetworkError(f"network with name {name} already exists")
            taken = [network.subnet for network in self.records.networks()]
            if subnet:
                chosen = ipam.parse_subnet(subnet)
                clash = ipam.first_overlap(chosen, taken)
                if clash is not None:
                    raise NetworkError(f"subnet {chosen} overlaps the subnet {clash} of a network")
                host_clash = ipam.first_overlap(chosen, links.host_routes())
                if host_clash is not None:
                    raise NetworkError(f"subnet {chosen} overlaps the host's route to {host_clash}")
            else:
                chosen = ipam.choose_subnet(self.pools, [*taken, *links.host_routes()])
            network_id = secrets.token_hex(32)
            network = Network(
                id=network_id,
                name=name,
                bridge=nftables.BRIDGE_PREFIX + network_id[:12],
                subnet=chosen,
                gateway=ipam.choose_gateway(chosen, gateway),
                internal=internal,
                labels=dict(labels or {}),
                options=dict(options or {}),
                driver=driver,
                created=datetime.now(UTC).isoformat(),
            )
            self.records.add_network(network)
            crashpoint(f"create network {name}: recorded")
            try:
                self._bring_up(network)
                crashpoint(f"create network {name}: bridge up")
                self._sync()
                crashpoint(f"create network {name}: created")
            except BaseException:
                links.delete_link(network.bridge)
                self.records.remove_network(network.id)
                self._sync()
                raise
        return network

    def _bring_up(self, network: Network) -> None:
        links.ensure_bridge(
            network.bridge,
            network.gateway,
            network.subnet.prefixlen,
            endpoint_ops.bridge_mac(network.id),
            links.uplink_mtu(),
        )

    def ensure_default(self) -> Network:
        """The engine's default bridge network (`bridge`, as Docker's), made on first use.

        `container run` without `--net` and build steps with the default network
        attach here; two commands asking at once get the same network.
        """
        with self._locked():
            existing = self.records.network(DEFAULT_NETWORK)
        if existing is not None:
            return existing
        try:
            return self.create(DEFAULT_NETWORK, labels={"io.pycompose.default": "true"})
        except NetworkError:
            found = self.records.network(DEFAULT_NETWORK)
            if found is None:
                raise
            return found

    def get(self, key: str) -> Network:
        """The network named `key` (or with id or id prefix `key`); NetworkNotFound if none."""
        network = self.records.network(key)
        if network is None:
            raise NetworkNotFound(f"network {key} not found")
        return network

    def exists(self, key: str) -> bool:
        """Whether a network named (or with id) `key` exists."""
        return self.records.network(key) is not None

    def all(self) -> list[Network]:
        """Every network of this root."""
        return self.records.networks()

    def endpoints(
        self, network: str | None = None, container_id: str | None = None
    ) -> list[Endpoint]:
        """Endpoints (active and kept) of a network and/or a container."""
        network_id = self.get(network).id if network else None
        return self.records.endpoints(network_id=network_id, container_id=container_id)

    def inspect(self, key: str) -> dict[str, object]:
        """A network as `docker network inspect` shows it, with its containers."""
        network = self.get(key)
        data: dict[str, object] = dict(network.to_dict())
        data["Containers"] = {
            endpoint.container_id: endpoint.to_dict()
            for endpoint in self.records.endpoints(network_id=network.id)
        }
        return data

    def remove(self, key: str) -> None:
        """Remove a network that no running container uses: its bridge, rules and records."""
        with self._locked():
            network = self.get(key)
            active = self.records.endpoints(network_id=network.id, active_only=True)
            if active:
                names = ", ".join(e.container_name or e.container_id[:12] for e in active)
                raise NetworkError(f"network {network.name} has active endpoints ({names})")
            links.delete_link(network.bridge)
            crashpoint(f"remove network {network.name}: bridge deleted")
            self.records.remove_network(network.id)
            crashpoint(f"remove network {network.name}: record deleted")
            self._sync()
            crashpoint(f"remove network {network.name}: removed")

    def prune(self, labels: Mapping[str, str] | None = None) -> list[str]:
        """Remove every network no container uses (matching `labels`); return their names."""
        removed = []
        with self._locked():
            for network in self.records.networks():
                if any(network.labels.get(k) != v for k, v in (labels or {}).items()):
                    continue
                if self.records.endpoints(network_id=network.id):
                    continue
                links.delete_link(network.bridge)
                self.records.remove_network(network.id)
                removed.append(network.name)
            if removed:
                self._sync()
        return removed

    # endpoints

    def connect(
        self,
        network: str,
        netns_path: str,
        *,
        container_id: str,
        container_name: str = "",
        hostname: str = "",
        aliases: Sequence[str] = (),
        ipv4_address: str | None = None,
        mac_address: str | None = None,
    ) -> Endpoint:
        """Give the namespace at `netns_path` an interface and address on `network`.

        Connecting a container again (after a restart, into a new namespace)
        gives it back the address it had. Connecting a new container id into
        a namespace that is already on the network adopts the existing
        interface: that is how a recreated owner keeps the namespace its
        dependents share.
        """
        with self._locked():
            target = self.get(network)
            endpoint = endpoint_ops.attach(
                self.records,
                target,
                str(netns_path),
                container_id=container_id,
                container_name=container_name,
                hostname=hostname,
                aliases=aliases,
                ipv4_address=ipv4_address,
                mac_address=mac_address,
                mtu=links.uplink_mtu(),
            )
            self._sync()
            return endpoint

    def disconnect(self, network: str, container_id: str, *, keep_address: bool = False) -> None:
        """Take a container off a network: its veth, its ports there, its names."""
        with self._locked():
            target = self.get(network)
            endpoint = self.records.endpoint(target.id, container_id)
            if endpoint is None:
                raise NetworkError(f"container {container_id[:12]} is not on network {target.name}")
            self._drop_ports(container_id, network_id=target.id)
            endpoint_ops.detach(self.records, endpoint, keep_address=keep_address)
            self._sync()

    def release(self, container_id: str) -> None:
        """A container stopped: remove its veths and ports; keep its addresses for a restart."""
        with self._locked():
            self._drop_ports(container_id)
            for endpoint in self.records.endpoints(container_id=container_id):
                endpoint_ops.detach(self.records, endpoint, keep_address=True)
            self._sync()

    def forget(self, container_id: str) -> None:
        """A container was removed: everything of it goes, its addresses become free."""
        with self._locked():
            self._drop_ports(container_id)
            for endpoint in self.records.endpoints(container_id=container_id):
                endpoint_ops.detach(self.records, endpoint, keep_address=False)
            self.records.remove_resolver(container_id)
            self._sync()

    # published ports

    def publish(self, container_id: str, requests: Sequence[PortRequest]) -> list[PublishedPort]:
        """Forward host ports to the container's address on its first non-internal network.

        All or nothing: a host port already published or used by a program on
        the host is an error before any rule changes.
        """
        with self._locked():
            endpoint = self._publishing_endpoint(container_id)
            others = [
                port for port in self.records.published_ports() if port.container_id != container_id
            ]
            own = self.records.published_ports(container_id)

            def is_free(protocol: str, host_ip: str, port: int) -> bool:
                # The responder holds this container's current ports: those are ours to reuse.
                held = ports.overlaps(protocol, host_ip, port, own) is not None
                return held or ports.host_port_free(protocol, host_ip, port)

            chosen = ports.choose_host_ports(requests, others, is_free=is_free)
            published = [
                PublishedPort(
                    container_id=container_id,
                    network_id=endpoint.network_id,
                    protocol=request.protocol,
                    host_ip=request.host_ip,
                    host_port=host_port,
                    container_ip=endpoint.address,
                    container_port=request.container_port,
                )
                for request, host_port in chosen
            ]
            self.records.remove_published_ports(container_id)
            self.records.add_published_ports(published)
            self._sync()
            return published

    def _publishing_endpoint(self, container_id: str) -> Endpoint:
        networks = {network.id: network for network in self.records.networks()}
        for endpoint in self.records.endpoints(container_id=container_id, active_only=True):
            network = networks[endpoint.network_id]
            if not network.internal:
                return endpoint
        raise PortError(
            f"container {container_id[:12]} is on no non-internal network; "
            "ports are published from bridge networks only"
        )

    def published_ports(self, container_id: str | None = None) -> list[PublishedPort]:
        """Published ports of a container (of every container when None)."""
        return self.records.published_ports(container_id)

    def unpublish(self, container_id: str) -> None:
        """Remove a container's published ports."""
        with self._locked():
            self._drop_ports(container_id)
            self._sync()

    def _drop_ports(self, container_id: str, network_id: str | None = None) -> None:
        if network_id is None:
            self.records.remove_published_ports(container_id)
            return
        kept = [
            port
            for port in self.records.published_ports(container_id)
            if port.network_id != network_id
        ]
        self.records.remove_published_ports(container_id)
        self.records.add_published_ports(kept)

    # name resolution

    def resolver_files(self, container_id: str, options: ResolverOptions) -> ResolverFiles:
        """resolv.conf, hosts and hostname of a container on bridge networks.

        resolv.conf names the DNS responder on the gateway of the container's
        first network; the container's `dns` servers become the responder's
        upstreams for it. Containers sharing this one's namespace use the same
        files.
        """
        with self._locked():
            active = self.records.endpoints(container_id=container_id, active_only=True)
            if not active:
                raise NetworkError(
                    f"container {container_id[:12]} is on no network; connect it first"
                )
            # The servers only reach the responder's configuration: unchanged ones (most
            # containers have none) leave nothing to sync.
            if self.records.resolver(container_id) != list(options.dns):
                self.records.set_resolver(container_id, options.dns)
                self._sync()
        first = active[0]
        host_conf = _read(resolver_files.HOST_RESOLV_CONF)
        return ResolverFiles(
            resolv_conf=resolver_files.bridge_resolv_conf(first.gateway, options, host_conf),
            hosts=resolver_files.render_hosts(options, first.address, first.gateway),
            hostname=(options.hostname or container_id[:12]) + "\n",
        )

    # shared state

    def _sync(self) -> None:
        """Bring the nftables table, forwarding and the DNS responder in line with the store."""
        networks = self.records.networks()
        by_id = {network.id: network for network in networks}
        active = self.records.endpoints(active_only=True)
        live_addresses = {(e.network_id, e.container_id, e.address) for e in active}
        live_ports = [
            p
            for p in self.records.published_ports()
            if (p.network_id, p.container_id, p.container_ip) in live_addresses
        ]
        port_rules = [
            nftables.PortRule(p.protocol, p.host_ip, p.host_port, p.container_ip, p.container_port)
            for p in live_ports
        ]
        bridges = [
            nftables.BridgeRule(network.bridge, network.subnet, network.internal)
            for network in networks
        ]
        guarded = forwarding.enable(self.table) if networks else []
        script = nftables.render(self.table, bridges, port_rules, guarded)
        # Every change is rendered from the store and loaded under the lock, so the kernel
        # holds what this process loaded last unless the rules changed since: most syncs
        # (a container joining without ports, a resolver change) load nothing new.
        if script != self._loaded_rules:
            nftables.apply(script)
            self._loaded_rules = script
        if not networks:
            forwarding.release(self.table)
        self.responder.update(
            render_config(
                list(by_id.values()),
                active,
                self.records.resolvers(),
                resolver_files.host_nameservers(),
                live_ports,
            )
        )

    def recover(self) -> None:
        """After a command died half-way: every recorded network's bridge up, and the
        table, forwarding and responder in line when no network is left but they are not.
        Cheap when nothing is amiss (a read of /proc, no netlink, no nft)."""
        with self._locked():
            networks = self.records.networks()
            present = set(links.link_names())
            missing = [network for network in networks if network.bridge not in present]
            stale = not networks and (
                forwarding.uses(self.table)
                or self.responder.pid() is not None
                or nftables.table_text(self.table) is not None
            )
            if not missing and not stale:
                return
            for network in missing:
                self._bring_up(network)
            self._loaded_rules = None
            self._sync()

    def sync(self) -> None:
        """Re-make the shared pieces from the store (after a reboot or a crash)."""
        with self._locked():
            self._loaded_rules = None
            for network in self.records.networks():
                self._bring_up(network)
            self._sync()


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def host_resolver_files(options: ResolverOptions) -> ResolverFiles:
    """Files for `network_mode: host`: the host's resolvers and hosts, plus overrides."""
    return ResolverFiles(
        resolv_conf=resolver_files.passthrough_resolv_conf(
            options, _read(resolver_files.HOST_RESOLV_CONF)
        ),
        hosts=resolver_files.host_mode_hosts(options, _read(resolver_files.HOST_HOSTS)),
        hostname=(options.hostname or "localhost") + "\n",
    )


def isolated_resolver_files(options: ResolverOptions) -> ResolverFiles:
    """Files for `network_mode: none`: loopback only; resolv.conf as the host's."""
    return ResolverFiles(
        resolv_conf=resolver_files.passthrough_resolv_conf(
            options, _read(resolver_files.HOST_RESOLV_CONF)
        ),
        hosts=resolver_files.render_hosts(ResolverOptions(extra_hosts=options.extra_hosts), None),
        hostname=(options.hostname or "localhost") + "\n",
    )
