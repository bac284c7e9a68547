"""Nodes for benchmarks: real applications on a throw-away store (an SQLite directory or a PostgreSQL database)."""

from __future__ import annotations

import random
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from replication.tls import create_certificates
from shared.auth.tokens import create_issuer_keys
from shared.domain.customer import Customer
from shared.domain.operator import Operator
from shared.domain.values import id_card_check_digit
from shared.persistence.databases import drop_database, ensure_database
from shared.persistence.protection import create_cipher_key
from shared.settings import Settings

BY = Operator(actor="bench", role="staff", channel="web")


FIRST_PORT = 20000  # below: well-known and registered services
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


class PortAllocator:
    """Loopback ports for the nodes a test run or a benchmark starts, each handed out once per run.

    A port is only probed (bound and released), so the node binds it later: a bare bind-to-port-0 probe can return
    the same port twice (two servers of one node on one port). Ports come from below the kernel's ephemeral range,
    where no client connection's local port can take one between the probe and the node's bind, and in a random
    order, so test runs side by side rarely probe the same port."""

    def __init__(self) -> None:
        self._given: set[int] = set()
        self._lock = threading.Lock()
        self._starts = list(_unreserved_ports())
        random.shuffle(self._starts)

    def take(self, count: int = 1) -> int:
        """The first of `count` consecutive ports, none handed out before and each free now."""
        with self._lock:
            while self._starts:
                first = self._starts.pop()
                run = range(first, first + count)
                if run.stop <= 65536 and self._given.isdisjoint(run) and all(map(_bindable, run)):
                    self._given.update(run)
                    return first
        raise RuntimeError("no free loopback ports left for this run")


def _unreserved_ports() -> range:
    try:
        ephemeral = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768  # Linux's default: elsewhere the probe still checks each port
    return range(FIRST_PORT, ephemeral if ephemeral > FIRST_PORT + 1000 else 65536)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


PORTS = PortAllocator()


def free_port() -> int:
    """A loopback port no one listens on, never handed out before in this run."""
    return PORTS.take()


def port_run(count: int) -> int:
    """The first of `count` consecutive free ports (a cluster's nodes take consecutive ports)."""
    return PORTS.take(count)


@contextmanager
def store_settings(store: str, tmp: Path, code: str, **overrides: Any) -> Iterator[Settings]:
    """A node's settings on a store that exists only for the benchmark."""
    tier = "hq" if code == "HQ" else "province"
    keys = tmp / "keys"
    create_issuer_keys(keys / "issuer.pem", keys / "jwks.json")
    create_cipher_key(keys / f"{code.lower()}.cipher.key")
    create_certificates(keys / "tls", ["HQ", "GD", "BJ", "SH"])
    overrides.setdefault("keys_dir", keys)
    if store == "sqlite":
        yield Settings(node_code=code, tier=tier, store="sqlite", data_dir=tmp / code.lower(), **overrides)
        return
    settings = Settings(
        node_code=code,
        tier=tier,
        store="postgres",
        pg_dbname=f"crm_bench_{uuid.uuid4().hex[:10]}",
        data_dir=tmp,
        **overrides,
    )
    ensure_database(settings)
    try:
        yield settings
    finally:
        drop_database(settings)


def id_card(n: int) -> str:
    first17 = f"{440000 + n // 1000:06d}199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def register_many(app: Any, count: int, chunk: int = 250, start: int = 0) -> int:
    """`count` customers with their accounts (two public events each), many per transaction."""
    grades = ("1A", "2A", "3A", "4A", "5A")
    for first in range(start, start + count, chunk):
        aggregates: list[Any] = []
        for n in range(first, min(first + chunk, start + count)):
            customer = Customer.register(
                province=app.settings.node_code,
                kind="individual",
                name=f"客户{n}",
                certificate_type="idCard",
                certificate_number=id_card(n),
                grade=grades[n % 5],
                by=BY,
            )
            aggregates.append(customer)
        app.record(*aggregates)  # the node's policy opens each customer's billing account with it
    return 2 * count
