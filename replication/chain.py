"""The running hash over a node's public notifications: SHA-256 chained over the previous hash and each record.

A receiver recomputes the chain from what it received; equal hashes prove it holds exactly what the
source recorded, in the same order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from eventsourcing.persistence import Notification

from shared.persistence.integrity import GENESIS, link  # one chain rule for logs and what travels

if TYPE_CHECKING:
    from shared.application import CrmApplication
    from shared.classification import ReplicationChannel


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
    head_signature: bytes = (
        b""  # on a batch's last record: the source's signature of its head (position, hash)
    )


def verify(previous: bytes, records: Sequence[LogRecord]) -> tuple[bytes, LogRecord | None]:
    """Walk the chain; returns the last hash and the first record whose hash does not follow, if any."""
    current = previous
    for record in records:
        expected = link(
            current,
            record.position,
            record.topic,
            record.originator_id,
            record.originator_version,
            record.state,
        )
        if expected != record.running_hash:
            return current, record
        current = expected
    return current, None


def recorded_at(state: bytes) -> str:
    """The event's own timestamp (the library stores it in the state), as ISO-8601 UTC."""
    try:
        stamp: object = json.loads(state).get("timestamp")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    if isinstance(stamp, dict):
        stamp = stamp.get("_data_")
    return stamp if isinstance(stamp, str) else ""


class Head(NamedTuple):
    position: int
    hash: bytes
    recorded_at: str


EMPTY = Head(0, GENESIS, "")
Route = Callable[[Sequence[Notification]], Sequence[Iterable[str]]]
"""The destinations of each of a page of public notifications, in order: a province sends everything to HQ; HQ
addresses each record."""


class LogChain:
    """Extends `<prefix>_chain` (destination, position, hash, recorded time) over the node's public notifications.

    Each destination has its own running hash over exactly the records addressed to it, so a province can prove
    it received all that HQ sent it, in order, without seeing what went to another province. Only the node's own
    process extends the chain, in notification order, so every chain is deterministic.
    """

    def __init__(
        self,
        app: CrmApplication,
        public: Mapping[str, ReplicationChannel],
        route: Route,
        primary: str | None = None,
    ) -> None:
        self.app = app
        self.public = public
        self.route = route
        self.primary = primary
        self.table = f"{app.schema.prefix}_chain"
        self._lock = threading.Lock()
        self._create()
        self.heads = self._load_heads()
        self.scanned = self._load_scanned()

    def _create(self) -> None:
        q = self.app.queries
        with q.cursor(commit=True) as c:
            q.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.table} (destination TEXT NOT NULL, position BIGINT NOT NULL, "
                "hash TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (destination, position))",
            )
            q.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.table}_scan (id TEXT PRIMARY KEY, scanned BIGINT NOT NULL)",
            )

    def _load_heads(self) -> dict[str, Head]:
        rows = self.app.queries.rows(
            f"SELECT c.destination, c.position, c.hash, c.recorded_at FROM {self.table} c JOIN "
            f"(SELECT destination, MAX(position) AS position FROM {self.table} GROUP BY destination) h "
            "ON c.destination = h.destination AND c.position = h.position"
        )
        return {
            r["destination"]: Head(int(r["position"]), bytes.fromhex(r["hash"]), r["recorded_at"])
            for r in rows
        }

    def _load_scanned(self) -> int:
        rows = self.app.queries.rows(f"SELECT scanned FROM {self.table}_scan WHERE id = 'head'")
        return int(rows[0]["scanned"]) if rows else 0

    def extend(self, page: int = 2000) -> int:
        """Chain every public notification recorded since the last call; returns the primary head position."""
        with self._lock:
            while True:
                notifications = self.app.recorder.select_notifications(start=self.scanned + 1, limit=page)
                if not notifications:
                    return self.head().position
                heads = dict(self.heads)
                rows = []
                public = [n for n in notifications if n.topic in self.public]
                for n, addressed in zip(public, self.route(public) if public else ()):
                    state = self.app.plain(n.state)  # the chain covers records as they travel
                    stamp = recorded_at(state)
                    for destination in addressed:
                        previous = heads.get(destination, EMPTY).hash
                        current = link(
                            previous, n.id, n.topic, str(n.originator_id), n.originator_version, state
                        )
                        heads[destination] = Head(n.id, current, stamp)
                        rows.append((destination, n.id, current.hex(), stamp))
                self._store(rows, notifications[-1].id)
                self.heads, self.scanned = heads, notifications[-1].id

    def _store(self, rows: list[tuple[str, int, str, str]], scanned: int) -> None:
        q = self.app.queries
        upsert = (
            f"INSERT INTO {self.table}_scan (id, scanned) VALUES ('head', ?) "
            "ON CONFLICT (id) DO UPDATE SET scanned = excluded.scanned"
        )
        with q.cursor(commit=True) as c:
            if rows:
                c.executemany(
                    self.app.recorder.dialect(
                        f"INSERT INTO {self.table} (destination, position, hash, recorded_at) VALUES (?, ?, ?, ?)"
                    ),
                    rows,
                )
            q.execute(c, upsert, [scanned])

    def head(self, destination: str | None = None) -> Head:
        return self.heads.get(destination or self.primary or "", EMPTY)

    @property
    def head_position(self) -> int:
        return self.head().position

    @property
    def head_hash(self) -> bytes:
        return self.head().hash

    @property
    def head_recorded_at(self) -> str:
        return self.head().recorded_at

    def destinations(self) -> list[str]:
        return sorted(self.heads)

    def records(self, destination: str, after: int, upto: int, limit: int) -> list[Head]:
        """The chained positions addressed to `destination` in (after, upto], at most `limit`."""
        rows = self.app.queries.rows(
            f"SELECT position, hash, recorded_at FROM {self.table} WHERE destination = ? AND position > ? "
            "AND position <= ? ORDER BY position LIMIT ?",
            [destination, after, upto, limit],
        )
        return [Head(int(r["position"]), bytes.fromhex(r["hash"]), r["recorded_at"]) for r in rows]
