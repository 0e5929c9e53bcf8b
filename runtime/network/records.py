"""The network layer's tables in the store: networks, endpoints, published ports, resolvers.

What was wanted lives here; what exists lives in the kernel. Every write is
one SQLite transaction, done under the network lock by the caller.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from collections.abc import Iterable

from runtime.network.model import Endpoint, Network, PublishedPort
from runtime.store.database import Database

MIGRATIONS = [
    """
    CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        driver TEXT NOT NULL,
        bridge TEXT NOT NULL UNIQUE,
        subnet TEXT NOT NULL,
        gateway TEXT NOT NULL,
        internal INTEGER NOT NULL,
        labels TEXT NOT NULL,
        options TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE endpoints (
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        container_id TEXT NOT NULL,
        container_name TEXT NOT NULL,
        hostname TEXT NOT NULL,
        aliases TEXT NOT NULL,
        netns TEXT NOT NULL,
        host_ifname TEXT NOT NULL,
        ifname TEXT NOT NULL,
        address TEXT NOT NULL,
        mac TEXT NOT NULL,
        active INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (network_id, container_id),
        UNIQUE (network_id, address)
    );
    CREATE INDEX endpoints_container ON endpoints(container_id);
    CREATE TABLE published_ports (
        protocol TEXT NOT NULL,
        host_ip TEXT NOT NULL,
        host_port INTEGER NOT NULL,
        container_id TEXT NOT NULL,
        network_id TEXT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,
        container_ip TEXT NOT NULL,
        container_port INTEGER NOT NULL,
        PRIMARY KEY (protocol, host_ip, host_port)
    );
    CREATE TABLE resolvers (
        container_id TEXT PRIMARY KEY,
        servers TEXT NOT NULL
    );
    """,
]


class NetworkRecords:
    """Reads and writes the network layer's rows."""

    def __init__(self, db: Database):
        self.db = db
        db.migrate("networks", MIGRATIONS)

    # networks

    def networks(self) -> list[Network]:
        """Every network, oldest first."""
        rows = self.db.query("SELECT * FROM networks ORDER BY created, name")
        return [_network(row) for row in rows]

    def network(self, key: str) -> Network | None:
        """The network named `key`, else the one whose id is or starts with `key`."""
        row = self.db.query_one("SELECT * FROM networks WHERE name = ?", (key,))
        if row is None and key:
            rows = self.db.query("SELECT * FROM networks WHERE id LIKE ?", (key + "%",))
            row = rows[0] if len(rows) == 1 else None
        return _network(row) if row else None

    def add_network(self, network: Network) -> None:
        """Record a new network."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO networks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    network.id,
                    network.name,
                    network.driver,
                    network.bridge,
                    str(network.subnet),
                    str(network.gateway),
                    int(network.internal),
                    json.dumps(network.labels, sort_keys=True),
                    json.dumps(network.options, sort_keys=True),
                    network.created,
                ),
            )

    def remove_network(self, network_id: str) -> None:
        """Forget a network, with its endpoints and published ports."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    # endpoints

    def endpoints(
        self,
        *,
        network_id: str | None = None,
        container_id: str | None = None,
        active_only: bool = False,
    ) -> list[Endpoint]:
        """Endpoints matching every filter given, in the order they were connected."""
        clauses, params = [], []
        if network_id is not None:
            clauses.append("e.network_id = ?")
            params.append(network_id)
        if container_id is not None:
            clauses.append("e.container_id = ?")
            params.append(container_id)
        if active_only:
            clauses.append("e.active = 1")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db.query(
            "SELECT e.*, n.subnet, n.gateway FROM endpoints e"
            f" JOIN networks n ON n.id = e.network_id {where} ORDER BY e.seq",
            params,
        )
        return [_endpoint(row) for row in rows]

    def endpoint(self, network_id: str, container_id: str) -> Endpoint | None:
        """A container's endpoint on a network, or None."""
        found = self.endpoints(network_id=network_id, container_id=container_id)
        return found[0] if found else None

    def used_addresses(self, network_id: str) -> set[ipaddress.IPv4Address]:
        """Addresses held on a network, by running and stopped containers alike."""
        rows = self.db.query("SELECT address FROM endpoints WHERE network_id = ?", (network_id,))
        return {ipaddress.IPv4Address(row["address"]) for row in rows}

    def save_endpoint(self, endpoint: Endpoint, *, replaces: str | None = None) -> None:
        """Insert or update an endpoint (`replaces`: the container id it had before)."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM endpoints WHERE network_id = ? AND container_id IN (?, ?)",
                (endpoint.network_id, endpoint.container_id, replaces or endpoint.container_id),
            )
            seq = endpoint.created_order or _next_seq(conn)
            conn.execute(
                "INSERT INTO endpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    endpoint.network_id,
                    endpoint.container_id,
                    endpoint.container_name,
                    endpoint.hostname,
                    json.dumps(list(endpoint.aliases)),
                    endpoint.netns,
                    endpoint.host_ifname,
                    endpoint.ifname,
                    str(endpoint.address),
                    endpoint.mac,
                    int(endpoint.active),
                    seq,
                ),
            )

    def remove_endpoint(self, network_id: str, container_id: str) -> None:
        """Forget a container's endpoint on a network, freeing its address."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM endpoints WHERE network_id = ? AND container_id = ?",
                (network_id, container_id),
            )

    # published ports

    def published_ports(self, container_id: str | None = None) -> list[PublishedPort]:
        """Published ports of a container, or of all containers."""
        if container_id is None:
            rows = self.db.query("SELECT * FROM published_ports ORDER BY host_port, protocol")
        else:
            rows = self.db.query(
                "SELECT * FROM published_ports WHERE container_id = ? ORDER BY host_port, protocol",
                (container_id,),
            )
        return [_published(row) for row in rows]

    def add_published_ports(self, ports: Iterable[PublishedPort]) -> None:
        """Record published ports (the primary key refuses a host port twice)."""
        with self.db.transaction() as conn:
            for port in ports:
                conn.execute(
                    "INSERT INTO published_ports VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        port.protocol,
                        port.host_ip,
                        port.host_port,
                        port.container_id,
                        port.network_id,
                        str(port.container_ip),
                        port.container_port,
                    ),
                )

    def remove_published_ports(self, container_id: str) -> None:
        """Forget a container's published ports."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM published_ports WHERE container_id = ?", (container_id,))

    # upstream resolvers

    def set_resolver(self, container_id: str, servers: Iterable[str]) -> None:
        """Record a container's own DNS servers (its `dns` option)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO resolvers VALUES (?, ?)"
                " ON CONFLICT(container_id) DO UPDATE SET servers = excluded.servers",
                (container_id, json.dumps(list(servers))),
            )

    def resolver(self, container_id: str) -> list[str]:
        """A container's own DNS servers ([] when it has none or none were recorded)."""
        row = self.db.query_one(
            "SELECT servers FROM resolvers WHERE container_id = ?", (container_id,)
        )
        return list(json.loads(row["servers"])) if row else []

    def resolvers(self) -> dict[str, list[str]]:
        """Every container's own DNS servers, by container id."""
        rows = self.db.query("SELECT * FROM resolvers")
        return {row["container_id"]: json.loads(row["servers"]) for row in rows}

    def remove_resolver(self, container_id: str) -> None:
        """Forget a container's own DNS servers."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM resolvers WHERE container_id = ?", (container_id,))


def _next_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM endpoints").fetchone()
    return int(row["seq"])


def _network(row: sqlite3.Row) -> Network:
    return Network(
        id=row["id"],
        name=row["name"],
        driver=row["driver"],
        bridge=row["bridge"],
        subnet=ipaddress.IPv4Network(row["subnet"]),
        gateway=ipaddress.IPv4Address(row["gateway"]),
        internal=bool(row["internal"]),
        labels=json.loads(row["labels"]),
        options=json.loads(row["options"]),
        created=row["created"],
    )


def _endpoint(row: sqlite3.Row) -> Endpoint:
    return Endpoint(
        network_id=row["network_id"],
        container_id=row["container_id"],
        container_name=row["container_name"],
        hostname=row["hostname"],
        aliases=tuple(json.loads(row["aliases"])),
        netns=row["netns"],
        host_ifname=row["host_ifname"],
        ifname=row["ifname"],
        address=ipaddress.IPv4Address(row["address"]),
        prefixlen=ipaddress.IPv4Network(row["subnet"]).prefixlen,
        gateway=ipaddress.IPv4Address(row["gateway"]),
        mac=row["mac"],
        active=bool(row["active"]),
        created_order=row["seq"],
    )


def _published(row: sqlite3.Row) -> PublishedPort:
    return PublishedPort(
        container_id=row["container_id"],
        network_id=row["network_id"],
        protocol=row["protocol"],
        host_ip=row["host_ip"],
        host_port=row["host_port"],
        container_ip=ipaddress.IPv4Address(row["container_ip"]),
        container_port=row["container_port"],
    )
