"""The node's whole log sealed as it is written (R-30): a SHA-256 chain over every event exactly as stored.

The recorder extends the chain inside each write's own transaction (under the library's insert lock on
PostgreSQL, SQLite's single writer otherwise), so every event the node recorded has its link, and an event row
changed, deleted or inserted with SQL behind the node's back breaks the chain at that position. States are
chained as stored (encrypted): checking needs no data key.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterator, Sequence

GENESIS = bytes(32)
CHECK_PAGE = 2000


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


def chain_table(prefix: str) -> str:
    return f"{prefix}_log_chain"


def create_statement(prefix: str) -> str:
    return (f"CREATE TABLE IF NOT EXISTS {chain_table(prefix)} "
            "(position BIGINT PRIMARY KEY, hash TEXT NOT NULL)")


def links_for(previous: bytes, positions: Sequence[int], stored_events: Sequence[Any]) -> list[tuple[int, str]]:
    rows = []
    for position, event in zip(positions, stored_events):
        previous = link(previous, position, event.topic, str(event.originator_id), event.originator_version,
                        bytes(event.state))
        rows.append((position, previous.hex()))
    return rows


class LogCheck:
    """Walks the events and the chain side by side from the start; the first position that does not follow
    is where the log was changed."""

    def __init__(self, recorder: Any, prefix: str) -> None:
        self.recorder = recorder
        self.table = chain_table(prefix)

    def run(self) -> dict[str, Any]:
        previous, checked, last = GENESIS, 0, 0
        events, links = self._events(), self._links()
        event, chained = next(events, None), next(links, None)
        while event is not None or chained is not None:
            if chained is None or (event is not None and event.id < chained[0]):
                return self._broken(event.id, checked, "an event the node never recorded: inserted behind its back")
            if event is None or chained[0] < event.id:
                return self._broken(chained[0], checked, "the event recorded here is missing: deleted")
            previous = link(previous, event.id, event.topic, str(event.originator_id), event.originator_version,
                            bytes(event.state))
            if previous.hex() != chained[1]:
                return self._broken(event.id, checked, "the event differs from what was recorded: changed")
            checked, last = checked + 1, event.id
            event, chained = next(events, None), next(links, None)
        return {"ok": True, "checked": checked, "headPosition": last,
                "runningHash": previous.hex(), "firstBadPosition": None, "reason": None}

    @staticmethod
    def _broken(position: int, checked: int, reason: str) -> dict[str, Any]:
        return {"ok": False, "checked": checked, "firstBadPosition": position, "reason": reason}

    def _events(self) -> Iterator[Any]:
        start = 1
        while batch := self.recorder.select_notifications(start=start, limit=CHECK_PAGE):
            yield from batch
            start = batch[-1].id + 1

    def _links(self) -> Iterator[tuple[int, str]]:
        after = 0
        while True:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(self.recorder.dialect(f"SELECT position, hash FROM {self.table} WHERE position > ? "
                                                "ORDER BY position LIMIT ?"), [after, CHECK_PAGE])
                rows = [(int(r["position"]), r["hash"]) for r in c.fetchall()]
            if not rows:
                return
            yield from rows
            after = rows[-1][0]


def seal_existing(recorder: Any, prefix: str) -> int:
    """A store written before its log was sealed: chain what it holds now (its past is trusted as it stands)."""
    table = chain_table(prefix)
    with recorder.datastore.transaction(commit=True) as c:
        c.execute(create_statement(prefix))
        c.execute(f"SELECT COUNT(*) AS n FROM {table}")
        if int(c.fetchone()["n"]):
            return 0
    previous, start, sealed = GENESIS, 1, 0
    while batch := recorder.select_notifications(start=start, limit=CHECK_PAGE):
        rows = links_for(previous, [n.id for n in batch], batch)
        with recorder.datastore.transaction(commit=True) as c:
            c.executemany(recorder.dialect(f"INSERT INTO {table} (position, hash) VALUES (?, ?)"), rows)
        previous, start, sealed = bytes.fromhex(rows[-1][1]), batch[-1].id + 1, sealed + len(rows)
    return sealed
