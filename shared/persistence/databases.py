"""A node's PostgreSQL database: created when missing (or named in a clear error), dropped on request."""

from __future__ import annotations

import psycopg
from psycopg import errors, sql

from shared.settings import Settings

MAINTENANCE_DATABASE = "postgres"  # every server has it: where a missing database is created from


class DatabaseUnavailable(Exception):
    """The node's database can neither be opened nor created; the message names it and the server."""


def connect(settings: Settings, dbname: str | None = None) -> psycopg.Connection:
    """A connection outside the pool (start-up, probes), given up after the connect timeout."""
    return psycopg.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_user,
        password=settings.database_password(),
        dbname=dbname or settings.database_name,
        autocommit=True,
        connect_timeout=settings.pg_connect_timeout_seconds,
    )


def ensure_database(settings: Settings) -> bool:
    """Open the node's database, creating it when it does not exist; True when it was created.

    Raises DatabaseUnavailable naming the database and the server when neither is possible (server unreachable,
    no permission), within about the connect timeout rather than the pool's long wait."""
    name, server = settings.database_name, f"{settings.pg_host}:{settings.pg_port}"
    try:
        with connect(settings):
            return False
    except psycopg.Error as error:  # libpq says "does not exist" only in words: ask the server's catalogue
        refused = error
    try:
        maintenance = connect(settings, MAINTENANCE_DATABASE)
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL on {server} for database '{name}' as "
            f"'{settings.pg_user}': {first_line(error)}"
        ) from error
    with maintenance:
        if maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise DatabaseUnavailable(
                f"cannot open PostgreSQL database '{name}' on {server} as "
                f"'{settings.pg_user}': {first_line(refused)}"
            )
        try:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:  # another node process created it meanwhile
            return False
        except psycopg.Error as error:
            raise DatabaseUnavailable(
                f"PostgreSQL database '{name}' does not exist on {server} and could not be "
                f"created as '{settings.pg_user}': {first_line(error)}"
            ) from error
    return True


def drop_database(settings: Settings) -> None:
    with connect(settings, MAINTENANCE_DATABASE) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(settings.database_name))
        )


def first_line(error: Exception) -> str:
    """An error's first line: psycopg's messages go on with hints and context."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def database_exists(settings: Settings) -> bool:
    try:
        with connect(settings, MAINTENANCE_DATABASE) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [settings.database_name]
            ).fetchone()
    except psycopg.Error as error:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL on {settings.pg_host}:{settings.pg_port}: {first_line(error)}"
        ) from error
    return found is not None


def other_sessions(settings: Settings) -> int:
    """Connections to the node's database other than ours: a node still running, for one."""
    with connect(settings, MAINTENANCE_DATABASE) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [settings.database_name],
        ).fetchone()
    return int(row[0]) if row else 0
