"""A node's PostgreSQL database: created when missing, dropped on request (tests and benchmarks)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from shared.settings import Settings

CONNECT_TIMEOUT_SECONDS = 5


def _admin(settings: Settings) -> psycopg.Connection:
    return psycopg.connect(host=settings.pg_host, port=settings.pg_port, user=settings.pg_user,
                           password=settings.database_password(), dbname="postgres", autocommit=True,
                           connect_timeout=CONNECT_TIMEOUT_SECONDS)


def ensure_database(settings: Settings) -> bool:
    """Create the node's database unless it exists; True when it was created."""
    with _admin(settings) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings.database_name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.database_name)))
        return True


def drop_database(settings: Settings) -> None:
    with _admin(settings) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(settings.database_name)))
