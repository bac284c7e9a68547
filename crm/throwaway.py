"""Throw-away nodes for the tests and the benchmarks: keys made on the spot, a store that exists only for the run
(an SQLite directory or a PostgreSQL database created and dropped), and customers in bulk.

Nothing here runs in a served node; a node is built from these settings by `crm.bootstrap` as any other."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate

from province.application import ProvinceApplication
from replication.tls import create_certificates
from shared.auth.tokens import create_issuer_keys
from shared.domain.customer import Customer
from shared.domain.operator import Operator
from shared.domain.values import id_card_check_digit
from shared.persistence.databases import drop_database, ensure_database
from shared.persistence.protection import create_cipher_key
from shared.settings import Settings

BULK_LOADER = Operator(actor="bulk.loader", role="staff", channel="web")  # who `register_many` records


def make_keys(directory: Path, codes: Iterable[str]) -> Path:
    """What `crm keys init` and `crm certs init` make, for these nodes: HQ's issuer keys, each node's data key, the
    cluster's TLS certificates. Kept where they already exist."""
    codes = list(codes)
    create_issuer_keys(directory / "issuer.pem", directory / "jwks.json")
    for code in codes:
        create_cipher_key(directory / f"{code.lower()}.cipher.key")
    create_certificates(directory / "tls", codes)
    return directory


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own (on the server the environment names), dropped afterwards; yields its name."""
    settings = Settings().model_copy(update={"pg_dbname": f"{prefix}_{uuid.uuid4().hex[:12]}"})
    ensure_database(settings)
    try:
        yield settings.database_name
    finally:
        drop_database(settings)


@contextmanager
def throwaway_store(
    store: str,
    directory: Path,
    code: str,
    database_prefix: str,
    **overrides: Any,  # Settings' fields
) -> Iterator[Settings]:
    """Settings of node `code` on a store that is gone afterwards: SQLite under `directory`, or a new PostgreSQL
    database (its files, if any, under `directory`)."""
    if store == "postgres":
        with throwaway_database(database_prefix) as name:
            yield Settings(node_code=code, store="postgres", pg_dbname=name, data_dir=directory, **overrides)
    else:
        yield Settings(node_code=code, store="sqlite", data_dir=directory / code.lower(), **overrides)


def id_card(n: int) -> str:
    """The n-th of a series of valid resident ID numbers (correct check character)."""
    first17 = f"{440000 + n // 1000:06d}199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def register_many(
    app: ProvinceApplication, count: int, chunk: int = 250, start: int = 0, by: Operator = BULK_LOADER
) -> int:
    """`count` customers with their accounts (two public events each), many per transaction; the events recorded."""
    grades = ("1A", "2A", "3A", "4A", "5A")
    for first in range(start, start + count, chunk):
        aggregates: list[Aggregate] = []
        for n in range(first, min(first + chunk, start + count)):
            customer = Customer.register(
                province=app.settings.node_code,
                kind="individual",
                name=f"客户{n}",
                certificate_type="idCard",
                certificate_number=id_card(n),
                grade=grades[n % 5],
                by=by,
            )
            aggregates.append(customer)
        app.record(*aggregates)  # the node's policy opens each customer's billing account with it
    return 2 * count
