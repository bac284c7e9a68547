"""The node's whole log sealed as it is written (R-30): a keyed chain over every event exactly as stored.

The recorder extends the chain inside each write's own transaction (under the library's insert lock on
PostgreSQL, SQLite's single writer otherwise), so every event the node recorded has its link, and an event row
changed, deleted or inserted with SQL behind the node's back breaks the chain at that position. Each link is an HMAC (under a key derived from the
node's index key) of the SHA-256 link replication uses, so whoever can write SQL but does not hold the node's keys
cannot make a changed log follow its chain again. States are chained as stored (encrypted).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from eventsourcing.persistence import Notification, StoredEvent

from shared.domain.json_types import JSONObject

if TYPE_CHECKING:  # the recorders extend the chain with what is here
    from shared.persistence.recorders import ReadModelRecorder

GENESIS = bytes(32)
CHECK_PAGE = 2000


class LogTampered(RuntimeError):
    """A write found the chain ahead of the log: nothing more is recorded until an operator looks."""


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


def sealed_link(key: bytes, previous: bytes, event: StoredEvent, position: int) -> bytes:
    plain = link(
        previous,
        position,
        event.topic,
        str(event.originator_id),
        event.originator_version,
        bytes(event.state),
    )
    return hmac.new(key, plain, hashlib.sha256).digest()


def chain_table(prefix: str) -> str:
    return f"{prefix}_log_chain"


def create_statement(prefix: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {chain_table(prefix)} (position BIGINT PRIMARY KEY, hash TEXT NOT NULL)"
    )


def links_for(
    key: bytes, previous: bytes, positions: Sequence[int], stored_events: Sequence[StoredEvent]
) -> list[tuple[int, str]]:
    rows = []
    for position, event in zip(positions, stored_events):
        previous = sealed_link(key, previous, event, position)
        rows.append((position, previous.hex()))
    return rows


class LogCheck:
    """Walks the events and the chain side by side from the start; the first position that does not follow
    is where the log was changed."""

    def __init__(self, recorder: ReadModelRecorder, prefix: str, key: bytes) -> None:
        self.recorder = recorder
        self.table = chain_table(prefix)
        self.key = key

    def run(self) -> JSONObject:
        """Up to the chain's head as it stands when the check begins (a write recorded meanwhile brings its event
        and its link together, so it is checked next time); then any event beyond every link is one the node
        never recorded."""
        head = self._head()
        previous, checked, last = GENESIS, 0, 0
        events, links = self._events(head), self._links(head)
        event, chained = next(events, None), next(links, None)
        while event is not None or chained is not None:
            if chained is None or (event is not None and event.id < chained[0]):
                assert event is not None  # the loop runs while either is left
                return self._broken(
                    event.id, checked, "an event the node never recorded: inserted behind its back"
                )
            if event is None or chained[0] < event.id:
                return self._broken(chained[0], checked, "the event recorded here is missing: deleted")
            previous = sealed_link(self.key, previous, event, event.id)
            if previous.hex() != chained[1]:
                return self._broken(event.id, checked, "the event differs from what was recorded: changed")
            checked, last = checked + 1, event.id
            event, chained = next(events, None), next(links, None)
        beyond = self.recorder.select_notifications(start=head + 1, limit=CHECK_PAGE)
        unlinked = [
            n.id for n in beyond if n.id > self._head()
        ]  # links read after the events they would cover
        if unlinked:
            return self._broken(
                unlinked[0], checked, "an event the node never recorded: inserted behind its back"
            )
        return {
            "ok": True,
            "checked": checked,
            "headPosition": last,
            "runningHash": previous.hex(),
            "firstBadPosition": None,
            "reason": None,
        }

    @staticmethod
    def _broken(position: int, checked: int, reason: str) -> JSONObject:
        return {"ok": False, "checked": checked, "firstBadPosition": position, "reason": reason}

    def _head(self) -> int:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT MAX(position) AS head FROM {self.table}")
            row = c.fetchone()  # MAX gives one row, NULL on an empty chain
            return int(row["head"] or 0) if row is not None else 0

    def _events(self, head: int) -> Iterator[Notification]:
        yield from notifications(self.recorder, upto=head)

    def _links(self, head: int) -> Iterator[tuple[int, str]]:
        after = 0
        while True:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(
                    self.recorder.dialect(
                        f"SELECT position, hash FROM {self.table} WHERE position > ? "
                        "AND position <= ? ORDER BY position LIMIT ?"
                    ),
                    [after, head, CHECK_PAGE],
                )
                rows = [(int(r["position"]), r["hash"]) for r in c.fetchall()]
            if not rows:
                return
            yield from rows
            after = rows[-1][0]


def notifications(recorder: ReadModelRecorder, upto: int | None = None) -> Iterator[Notification]:
    """The node's log from the start, page by page (up to position `upto` when given)."""
    start = 1
    if upto == 0:
        return
    while batch := recorder.select_notifications(start=start, limit=CHECK_PAGE, stop=upto):
        yield from batch
        start = batch[-1].id + 1


def seal_existing(recorder: ReadModelRecorder, prefix: str, key: bytes) -> int:
    """A store written before its log was sealed: create the chain and link what the store holds now (its past is
    trusted as it stands). Only when the chain table did not exist: an emptied one is tampering, for the check
    to report, never a reason to seal again."""
    table = chain_table(prefix)
    if _exists(recorder, table):
        return 0
    events = list(notifications(recorder))
    rows = links_for(key, GENESIS, [n.id for n in events], events)
    with recorder.datastore.transaction(commit=True) as c:  # one transaction: sealed whole or not at all
        c.execute(create_statement(prefix))
        if rows:
            c.executemany(recorder.dialect(f"INSERT INTO {table} (position, hash) VALUES (?, ?)"), rows)
    return len(rows)


def _exists(recorder: ReadModelRecorder, table: str) -> bool:
    with recorder.datastore.transaction(commit=False) as c:
        if recorder.placeholder == "?":
            c.execute("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
        else:
            c.execute("SELECT to_regclass(%s) AS found", [table])
        row = c.fetchone()
        return row is not None and row["found"] is not None
