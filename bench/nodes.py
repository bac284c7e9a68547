"""Nodes for benchmarks: real applications on a throw-away store (an SQLite directory or a PostgreSQL database)."""

from __future__ import annotations

import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from replication.tls import create_certificates
from shared.auth.tokens import create_issuer_keys
from shared.persistence.protection import create_cipher_key
from shared.domain.billing import BillingAccount
from shared.domain.customer import Customer
from shared.domain.values import id_card_check_digit
from shared.persistence.databases import drop_database, ensure_database
from shared.settings import Settings

BY = {"actor": "bench", "role": "staff", "channel": "web"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    settings = Settings(node_code=code, tier=tier, store="postgres", pg_dbname=f"crm_bench_{uuid.uuid4().hex[:10]}",
                        data_dir=tmp, **overrides)
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
                province=app.settings.node_code, kind="individual", name=f"客户{n}",
                certificate_type="idCard", certificate_number=id_card(n), grade=grades[n % 5], by=BY,
            )
            aggregates += [customer, BillingAccount(str(customer.id), name=customer.name,
                                                    province=customer.province, by=BY)]
        app.record(*aggregates)
    return 2 * count
