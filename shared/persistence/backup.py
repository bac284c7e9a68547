"""Backup and restore of one node's store (R-31): a consistent copy taken while the node runs.

SQLite: the online backup API copies the database page by page under a read transaction, so the copy is one
committed state, write-ahead log included (copying the file alone loses what is still in `-wal`). PostgreSQL:
`pg_dump` (custom format) reads one snapshot; `pg_restore` loads it into a database created afresh. Events,
tracking records, chains and read models travel together, so a restored node resumes replication where its
tracking records say. The data keys are not in the copy: keep the keys directory safe on its own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from shared.persistence.databases import database_exists, drop_database, ensure_database, other_sessions
from shared.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    pass


def back_up(settings: Settings, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if settings.store == "sqlite":
        if not settings.sqlite_path().is_file():
            raise BackupError(f"no store at {settings.sqlite_path()}")
        source, copy = sqlite3.connect(settings.sqlite_path()), sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(partial), *_pg_connection(settings)],
            settings,
        )
    os.replace(partial, target)  # a backup file exists only whole


def restore(settings: Settings, source: Path) -> None:
    """Replace the node's store with the backup's (the node must be stopped)."""
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    with source.open("rb") as head:
        magic = head.read(16)
    if settings.store == "sqlite":
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not an SQLite backup")
        path = settings.sqlite_path()
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return
    if not magic.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a PostgreSQL backup (pg_dump custom format)")
    if database_exists(settings) and other_sessions(settings):
        raise BackupError(f"database '{settings.database_name}' is in use: stop the node before restoring it")
    drop_database(settings)
    ensure_database(settings)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            settings.database_name,
            *_pg_connection(settings, with_dbname=False),
            str(source),
        ],
        settings,
    )


def _pg_connection(settings: Settings, with_dbname: bool = True) -> list[str]:
    options = ["--host", settings.pg_host, "--port", str(settings.pg_port), "--username", settings.pg_user]
    return [*options, settings.database_name] if with_dbname else options


def _run(command: list[str], settings: Settings) -> None:
    environment = {
        **os.environ,
        "PGPASSWORD": settings.database_password(),
        "PGCONNECT_TIMEOUT": str(settings.pg_connect_timeout_seconds),
    }
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)") from None
    if done.returncode != 0:
        raise BackupError(
            f"{command[0]} failed for database '{settings.database_name}' on "
            f"{settings.pg_host}:{settings.pg_port}: {done.stderr.strip()[-500:]}"
        )
