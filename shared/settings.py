"""The one settings object: every host, port, path and secret comes from the environment (or `.env`)."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings of one node. Environment names are the field names upper-cased with prefix `CRM_`."""

    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    node_code: str = Field("GD", description="Province code (GD, BJ, …) or HQ.")
    tier: Literal["province", "hq"] = "province"
    http_host: str = "127.0.0.1"
    http_port: int = 8101
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 9101
    data_dir: Path = REPO_ROOT / "data"
    store: Literal["sqlite", "postgres"] = "sqlite"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_password_file: Path | None = Field(
        None, description="Read the database password from this file (a secret)."
    )
    pg_dbname: str = ""
    pg_pool_size: int = 5
    pg_max_overflow: int = 10
    pg_connect_timeout_seconds: int = Field(
        2,
        ge=2,
        description="libpq's connect timeout for every new database connection (2 s is libpq's least).",
    )
    pg_pool_wait_seconds: int = Field(
        1,
        ge=1,
        description="How long a request waits for a pooled connection before the database is probed; "
        "unreachable: 503 (eventsourcing's POSTGRES_CONNECT_TIMEOUT, whole seconds).",
    )
    pg_max_waiting: int = Field(
        0, ge=0, description="Requests that may queue for a connection; more get 503 at once (0: no limit)."
    )
    pg_pre_ping: bool = Field(
        True,
        description="Check a pooled connection before use, so connections a "
        "restarted or failed-over database dropped are replaced, not handed out.",
    )
    pg_reconnect_seconds: float = Field(
        5.0,
        gt=0,
        description="How long the pool retries one lost connection (backing off) before starting "
        "afresh on the next request: bounds how long after the database returns the node takes to see it.",
    )
    pg_lock_timeout_seconds: int = Field(5, ge=0, description="Longest wait for the events table's lock.")
    store_retry_after_seconds: int = Field(
        2,
        ge=1,
        description="While the database is unreachable: the `Retry-After` of 503 answers, and how "
        "long the node answers them without trying the database again.",
    )
    holidays: str = Field("", description="Comma-separated ISO dates that are not working days.")
    extra_working_days: str = Field("", description="Comma-separated ISO weekend dates worked (调休).")
    catalog_file: Path = REPO_ROOT / "province" / "default_catalog.json"
    snapshot_interval: int = 50
    max_page_size: int = 1000
    upstreams: str = Field("", description="Comma-separated CODE=host:port of logs this node follows.")
    replication_batch: int = Field(
        2000, description="Notifications per gRPC message and per applied transaction."
    )
    replication_plaintext: bool = Field(
        False,
        description="Development only: replicate without TLS and peer "
        "identity. Off everywhere else; compose never sets it.",
    )
    reconnect_initial_seconds: float = 0.2
    reconnect_cap_seconds: float = 10.0
    replication_streams_per_peer: int = Field(
        2,
        ge=1,
        description="Subscribe streams one caller may hold open (a node by its certificate; on a plaintext "
        "link, a claimed code from one address). A node's newest stream replaces its oldest; others are refused.",
    )
    replication_max_streams: int = Field(
        8,
        ge=1,
        description="Subscribe streams open at once to callers without a node certificate (plaintext "
        "links); the nodes this one serves have their own reserve of threads.",
    )
    replication_spare_threads: int = Field(
        8, ge=2, description="Log-service threads beyond all streams, for Head calls and refusals."
    )
    replication_heartbeat_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description="A quiet tail carries an empty batch this often, so a follower hears its "
        "upstream is alive.",
    )
    replication_silence_seconds: float = Field(
        8.0,
        gt=0,
        description="A follower that hears nothing from its upstream this long drops the stream and "
        "reconnects (a frozen or unreachable upstream); keep it a few heartbeats long.",
    )
    replication_failed_attempts: int = Field(
        5,
        ge=1,
        description="Failed attempts to apply the same batch (other than store outages) before a "
        "follower stops and waits for an operator.",
    )
    audit_interval_seconds: float = Field(
        3600.0,
        description="How often a node re-reads each upstream's whole log to prove its copy (R-30); 0: never.",
    )
    settlement_monthly_percent: int = Field(
        70,
        ge=0,
        le=100,
        description="Default share of a monthly fee owed to the delivering province (R-21); "
        "one-time fees go to it whole. HQ records it as its default settlement rule when first started.",
    )
    keys_dir: Path | None = Field(
        None, description="Signing keys, JWKS, certificates; default <data_dir>/keys."
    )
    cipher_key: str = Field(
        "",
        description="This node's AES key (base64) for events and personal data at rest; "
        "default: read from <keys>/<node>.cipher.key (`crm keys init`).",
    )
    cipher_old_keys: str = Field("", description="Comma-separated earlier keys, still read after a rotation.")
    idempotency_hours: float = Field(
        24.0, gt=0, description="How long a create's first answer is kept for replay."
    )
    auth_issuer: str = Field("crm-hq", description="The embedded issuer's name (HQ's staff directory).")
    auth_audience: str = "crm"
    auth_jwks_file: Path | None = Field(
        None, description="Public keys of the embedded issuer; default <keys>/jwks.json."
    )
    auth_signing_key_file: Path | None = Field(
        None, description="HQ only: the issuer's private key; default <keys>/issuer.pem."
    )
    auth_token_url: str = Field(
        "",
        description="Where staff sign in, for the OpenAPI; default this node's own "
        "/auth/token (every node signs its staff in).",
    )
    auth_access_seconds: int = Field(
        900, ge=30, description="Lifetime of an access token (and the longest a node accepts)."
    )
    auth_refresh_seconds: int = Field(
        28800, ge=60, description="Lifetime of a refresh token (each works once)."
    )
    auth_session_max_seconds: int = Field(
        43200,
        ge=60,
        description="A sign-in is refreshed for at most this long "
        "(12 h), whatever its refresh tokens' lifetimes; then its member signs in "
        "again.",
    )
    auth_concurrent_verifications: int = Field(
        4,
        ge=1,
        description="Password checks (Argon2, tens of MiB each) a "
        "node runs at once; a sign-in beyond them is answered 429 to try "
        "again in a second.",
    )
    auth_verification_wait_seconds: float = Field(
        2.0, ge=0, description="How long a sign-in waits for a free password check before it is answered 429."
    )
    auth_machine_max_seconds: int = Field(
        86400,
        ge=60,
        description="The longest lifetime of a machine token (`crm token issue`); longer ones are refused.",
    )
    auth_external_max_seconds: int = Field(
        3600, ge=60, description="The longest lifetime accepted of an external provider's access token."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses of reverse proxies whose "
        "X-Forwarded-For is believed (sign-in throttling by address); empty: none, the "
        "connection's own address counts.",
    )
    auth_external_issuer: str = Field(
        "", description="An external OpenID Connect issuer also trusted (its `iss`)."
    )
    auth_external_jwks_file: Path | None = Field(None, description="The external issuer's JWKS (downloaded).")
    auth_external_audience: str = "crm"
    auth_external_role_claim: str = Field(
        "crm_role",
        description="Dotted path of the role claim, e.g. "
        "realm_access.roles (a list: the first role of ours counts).",
    )
    auth_external_province_claim: str = "crm_province"
    auth_external_name_claim: str = "name"
    http_max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body a node reads (declared or streamed); beyond it a 413 "
        "before the body is parsed or any token checked.",
    )
    personal_lookups_per_hour: int = Field(
        30,
        ge=1,
        description="Exact lookups by certificate or phone number (a personal-data read each) one person "
        "may make per hour on this node; beyond it a 429 with Retry-After.",
    )
    hq_http_port: int = 8100
    hq_grpc_port: int = 9100
    log_format: Literal["text", "json"] = Field(
        "text",
        description="json: one JSON object per log line (time, level, logger, message, node, requestId).",
    )
    metrics_token: str = Field(
        "",
        description="If set, GET /metrics needs `Authorization: Bearer <this>`; empty: "
        "open (the metrics hold no personal data).",
    )
    restart_initial_seconds: float = Field(
        1.0,
        gt=0,
        description="`crm cluster up`: first wait before restarting "
        "a node that died; doubles per quick death.",
    )
    restart_cap_seconds: float = Field(
        30.0, gt=0, description="`crm cluster up`: longest wait between restarts."
    )
    restart_stable_seconds: float = Field(
        60.0,
        gt=0,
        description="`crm cluster up`: a node that ran this long "
        "before dying is restarted after the first wait again.",
    )
    stop_grace_seconds: float = Field(
        10.0,
        gt=0,
        description="`crm cluster up`: how long nodes get to stop on SIGTERM before they are killed.",
    )

    @field_validator("node_code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @property
    def app_name(self) -> str:
        """Names the node's tables: `<app_name>_events`, `<app_name>_rm_customer`, …"""
        return self.node_code.lower()

    @property
    def database_name(self) -> str:
        return self.pg_dbname or f"crm_{self.app_name}"

    def database_password(self) -> str:
        return self.pg_password_file.read_text().strip() if self.pg_password_file else self.pg_password

    def keys_path(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    def jwks_path(self) -> Path:
        return self.auth_jwks_file or self.keys_path() / "jwks.json"

    def signing_key_path(self) -> Path:
        return self.auth_signing_key_file or self.keys_path() / "issuer.pem"

    def province_signing_key_path(self, code: str | None = None) -> Path:
        """A province's own token signing key (it signs its staff in with it); created at its first start."""
        return self.keys_path() / f"{(code or self.node_code).lower()}.signing.pem"

    def token_url(self) -> str:
        return self.auth_token_url or "/auth/token"

    def cipher_key_path(self) -> Path:
        return self.keys_path() / f"{self.app_name}.cipher.key"

    def cipher_key_value(self) -> str:
        if self.cipher_key:
            return self.cipher_key
        path = self.cipher_key_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"no cipher key for {self.node_code} at {path}: run `crm keys init --code "
                f"{self.node_code}` (or set CRM_CIPHER_KEY)"
            )
        return path.read_text().strip()

    def index_key_value(self) -> bytes:
        """The key of this node's blind indexes (keyed hashes of certificate and phone numbers)."""
        from shared.persistence.protection import index_key_path

        path = index_key_path(self.cipher_key_path())
        if not path.is_file():
            raise FileNotFoundError(
                f"no index key for {self.node_code} at {path}: run `crm keys init --code {self.node_code}`"
            )
        return base64.b64decode(path.read_text().strip())

    def sqlite_path(self) -> Path:
        return self.data_dir / f"{self.app_name}.sqlite3"

    def lock_path(self) -> Path:
        """Held by the node while it serves, whichever store it uses (see shared.persistence.node_lock)."""
        return self.data_dir / f"{self.app_name}.lock"

    def supervisor_socket_path(self) -> Path:
        """Where `crm cluster up` of this data directory takes orders (`crm cluster stop|start|restart|status`)."""
        return self.data_dir / "supervisor.sock"

    def eventsourcing_env(self) -> dict[str, str]:
        """The `env` handed to the node's `eventsourcing.Application`."""
        recorder: type  # imported here: the recorders read Settings
        if self.store == "postgres":
            from shared.persistence.recorders import (
                PostgresReadModelRecorder as recorder,
            )

            env = {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": self.database_name,
                "POSTGRES_HOST": self.pg_host,
                "POSTGRES_PORT": str(self.pg_port),
                "POSTGRES_USER": self.pg_user,
                "POSTGRES_PASSWORD": self.database_password(),
                "POSTGRES_POOL_SIZE": str(self.pg_pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.pg_max_overflow),
                "POSTGRES_CONNECT_TIMEOUT": str(self.pg_pool_wait_seconds),  # the pool's wait, not libpq's
                "POSTGRES_MAX_WAITING": str(self.pg_max_waiting),
                "POSTGRES_PRE_PING": "y" if self.pg_pre_ping else "n",
                "POSTGRES_LOCK_TIMEOUT": str(self.pg_lock_timeout_seconds),
            }
        else:
            from shared.persistence.recorders import SQLiteReadModelRecorder as recorder

            self.data_dir.mkdir(parents=True, exist_ok=True)
            env = {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path()),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        env["PROCESS_RECORDER_TOPIC"] = f"{recorder.__module__}:{recorder.__qualname__}"
        env["CIPHER_TOPIC"] = "shared.persistence.protection:RotatingAESCipher"
        env["CIPHER_KEY"] = self.cipher_key_value()
        env["CIPHER_OLD_KEYS"] = self.cipher_old_keys
        return env


@lru_cache
def get_settings() -> Settings:
    return Settings()
