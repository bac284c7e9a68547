"""Test stores: a temporary SQLite directory or a PostgreSQL database created and dropped per test; a database
refusing connections; SQL written behind a node's back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from crm.throwaway import throwaway_store
from shared.persistence.databases import MAINTENANCE_DATABASE, connect
from shared.settings import Settings
from tests.support.auth import keys_dir

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def admin_settings() -> Settings:
    return Settings()


def postgres_reachable() -> str | None:
    """None when the server answers, else why not."""
    s = admin_settings()
    try:
        with psycopg.connect(
            host=s.pg_host,
            port=s.pg_port,
            user=s.pg_user,
            password=s.pg_password,
            dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {s.pg_host}:{s.pg_port} is unreachable: {error}"


def require_postgres() -> None:
    problem = postgres_reachable()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"{problem} (CI=true: PostgreSQL tests never skip)")
    pytest.skip(problem)


@contextmanager
def refusing_connections(dbname: str) -> Iterator[None]:
    """An outage of one database while the server runs on: new connections refused, open ones terminated."""
    with connect(admin_settings(), MAINTENANCE_DATABASE) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(dbname)))
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [dbname]
            )
            yield
        finally:
            conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(dbname)))


@contextmanager
def node_settings(store: str, tmp_path: Path, code: str = "GD", **overrides: object) -> Iterator[Settings]:
    """Settings for one node on the given store, its storage removed afterwards; tokens of the run's test issuer
    are valid there."""
    overrides.setdefault("keys_dir", keys_dir())
    if store == "postgres":
        require_postgres()
    with throwaway_store(store, tmp_path, code, "crm_test", **overrides) as settings:
        yield settings


def events_table(app) -> str:
    recorder = app.recorder
    if app.settings.store == "postgres":
        return f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    return recorder.events_table_name


def position_column(app) -> str:
    return "notification_id" if app.settings.store == "postgres" else "rowid"


def tamper(app, sql: str, params=()) -> None:
    """Outside the system: an operator with database access."""
    with app.recorder.datastore.transaction(commit=True) as c:
        c.execute(app.recorder.dialect(sql), params)
