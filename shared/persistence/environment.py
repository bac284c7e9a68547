"""A node's settings as its event store takes them: the `env` of its `eventsourcing.Application`, and its keys.

Here rather than in `shared.settings`, so that settings import nothing of persistence (persistence reads settings).
"""

from __future__ import annotations

import base64

from shared.persistence.protection import CIPHER_TOPIC, index_key_path
from shared.persistence.recorders import PostgresReadModelRecorder, SQLiteReadModelRecorder
from shared.settings import Settings


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The `env` handed to the node's `eventsourcing.Application`."""
    s = settings
    recorder: type
    if s.store == "postgres":
        recorder = PostgresReadModelRecorder
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": s.database_name,
            "POSTGRES_HOST": s.pg_host,
            "POSTGRES_PORT": str(s.pg_port),
            "POSTGRES_USER": s.pg_user,
            "POSTGRES_PASSWORD": s.database_password(),
            "POSTGRES_POOL_SIZE": str(s.pg_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(s.pg_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(s.pg_pool_wait_seconds),  # the pool's wait, not libpq's
            "POSTGRES_MAX_WAITING": str(s.pg_max_waiting),
            "POSTGRES_PRE_PING": "y" if s.pg_pre_ping else "n",
            "POSTGRES_LOCK_TIMEOUT": str(s.pg_lock_timeout_seconds),
        }
    else:
        recorder = SQLiteReadModelRecorder
        s.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(s.sqlite_path()),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    env["PROCESS_RECORDER_TOPIC"] = f"{recorder.__module__}:{recorder.__qualname__}"
    env["CIPHER_TOPIC"] = CIPHER_TOPIC
    env["CIPHER_KEY"] = s.cipher_key_value()
    env["CIPHER_OLD_KEYS"] = s.cipher_old_keys
    return env


def index_key(settings: Settings) -> bytes:
    """The key of this node's blind indexes (keyed hashes of certificate and phone numbers)."""
    path = index_key_path(settings.cipher_key_path())
    if not path.is_file():
        raise FileNotFoundError(
            f"no index key for {settings.node_code} at {path}: run `crm keys init --code {settings.node_code}`"
        )
    return base64.b64decode(path.read_text().strip())
