"""The running hash over a node's public notifications: SHA-256 chained over the previous hash and each record.

A receiver recomputes the chain from what it received; equal hashes prove it holds exactly what the
source recorded, in the same order.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any, Sequence

GENESIS = bytes(32)


@dataclass(frozen=True)
class LogRecord:
    """One public notification as it travels: the stored event verbatim, its position and running hash."""

    position: int
    topic: str
    originator_id: str
    originator_version: int
    state: bytes
    recorded_at: str
    source: str
    running_hash: bytes
    channel: str


def link(previous: bytes, position: int, topic: str, originator_id: str, version: int, state: bytes) -> bytes:
    digest = hashlib.sha256(previous)
    digest.update(position.to_bytes(8, "big"))
    digest.update(topic.encode())
    digest.update(b"\0")
    digest.update(originator_id.encode())
    digest.update(b"\0")
    digest.update(version.to_bytes(8, "big"))
    digest.update(state)
    return digest.digest()


def verify(previous: bytes, records: Sequence[LogRecord]) -> tuple[bytes, LogRecord | None]:
    """Walk the chain; returns the last hash and the first record whose hash does not follow, if any."""
    current = previous
    for record in records:
        expected = link(current, record.position, record.topic, record.originator_id,
                        record.originator_version, record.state)
        if expected != record.running_hash:
            return current, record
        current = expected
    return current, None


def recorded_at(state: bytes) -> str:
    """The event's own timestamp (the library stores it in the state), as ISO-8601 UTC."""
    try:
        stamp: Any = json.loads(state).get("timestamp")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    if isinstance(stamp, dict):
        stamp = stamp.get("_data_")
    return stamp if isinstance(stamp, str) else ""


class LogChain:
    """Extends `<prefix>_log_chain` (position, hash, recorded time) over the node's public notifications.

    Only the node's own process extends it, in notification order, so the chain is deterministic.
    """

    def __init__(self, app: Any, public: dict[str, Any]) -> None:
        self.app = app
        self.public = public
        self.table = f"{app.schema.prefix}_log_chain"
        self._lock = threading.Lock()
        self._create()
        self.head_position, self.head_hash, self.head_recorded_at = self._load_head()
        self.scanned = self._load_scanned()

    def _create(self) -> None:
        q = self.app.queries
        with q.cursor(commit=True) as c:
            q.execute(c, f"CREATE TABLE IF NOT EXISTS {self.table} (position BIGINT PRIMARY KEY, "
                         "hash TEXT NOT NULL, recorded_at TEXT NOT NULL)")
            q.execute(c, f"CREATE TABLE IF NOT EXISTS {self.table}_scan (id TEXT PRIMARY KEY, scanned BIGINT NOT NULL)")

    def _load_head(self) -> tuple[int, bytes, str]:
        rows = self.app.queries.rows(
            f"SELECT position, hash, recorded_at FROM {self.table} ORDER BY position DESC LIMIT 1"
        )
        if not rows:
            return 0, GENESIS, ""
        return int(rows[0]["position"]), bytes.fromhex(rows[0]["hash"]), rows[0]["recorded_at"]

    def _load_scanned(self) -> int:
        rows = self.app.queries.rows(f"SELECT scanned FROM {self.table}_scan WHERE id = 'head'")
        return int(rows[0]["scanned"]) if rows else 0

    def extend(self, page: int = 2000) -> int:
        """Hash every public notification recorded since the last call; returns the head position."""
        with self._lock:
            while True:
                notifications = self.app.recorder.select_notifications(start=self.scanned + 1, limit=page)
                if not notifications:
                    return self.head_position
                rows = []
                position, current, stamp = self.head_position, self.head_hash, self.head_recorded_at
                for n in notifications:
                    if n.topic in self.public:
                        current = link(current, n.id, n.topic, str(n.originator_id), n.originator_version, n.state)
                        position, stamp = n.id, recorded_at(n.state)
                        rows.append((n.id, current.hex(), stamp))
                self._store(rows, notifications[-1].id)
                self.head_position, self.head_hash, self.head_recorded_at = position, current, stamp
                self.scanned = notifications[-1].id

    def _store(self, rows: list[tuple[int, str, str]], scanned: int) -> None:
        q = self.app.queries
        upsert = (f"INSERT INTO {self.table}_scan (id, scanned) VALUES ('head', ?) "
                  "ON CONFLICT (id) DO UPDATE SET scanned = excluded.scanned")
        with q.cursor(commit=True) as c:
            if rows:
                c.executemany(self.app.recorder.dialect(
                    f"INSERT INTO {self.table} (position, hash, recorded_at) VALUES (?, ?, ?)"), rows)
            q.execute(c, upsert, [scanned])

    def hashes(self, after: int, upto: int) -> dict[int, tuple[bytes, str]]:
        rows = self.app.queries.rows(
            f"SELECT position, hash, recorded_at FROM {self.table} WHERE position > ? AND position <= ?",
            [after, upto],
        )
        return {int(r["position"]): (bytes.fromhex(r["hash"]), r["recorded_at"]) for r in rows}

    def hash_at(self, position: int) -> bytes:
        if position == 0:
            return GENESIS
        rows = self.app.queries.rows(f"SELECT hash FROM {self.table} WHERE position = ?", [position])
        if not rows:
            raise LookupError(f"position {position} is not a public notification of this node")
        return bytes.fromhex(rows[0]["hash"])
