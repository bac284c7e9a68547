"""The destination of each stored event, written beside it in its own transaction (`<prefix>_event_destination`).

HQ addresses most of what it sends down to one province (an event's `destination`: a province code, or "*" for
every one). Its mapper keeps that attribute on the stored event it makes (`AddressedEvent`), and the recorder
writes it beside the event's position, so the log service routes each record by reading a column, never by
decrypting and decoding the event. A store written before then is filled once from its events (`backfill`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from shared.persistence.integrity import notifications
from shared.persistence.operators import OperatorMapper

if TYPE_CHECKING:  # both write through this module
    from shared.persistence.queries import ReadModelQueries
    from shared.persistence.recorders import ReadModelRecorder


def destination_table(prefix: str) -> str:
    return f"{prefix}_event_destination"


def create_statement(prefix: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {destination_table(prefix)} "
        "(position BIGINT PRIMARY KEY, destination TEXT NOT NULL)"
    )


def insert_statement(prefix: str) -> str:
    return (
        f"INSERT INTO {destination_table(prefix)} (position, destination) VALUES (?, ?) "
        "ON CONFLICT (position) DO NOTHING"
    )


@dataclass(frozen=True)
class AddressedEvent(StoredEvent):
    """A stored event with the destination its domain event names."""

    destination: str = ""


def destination_of(event: object) -> str:
    """What an event is addressed to: its `destination` ("" when it names none)."""
    value = getattr(event, "destination", "")
    return value if isinstance(value, str) else ""


class AddressingMapper(OperatorMapper):
    """The library's mapper with events' `by` an Operator (`OperatorMapper`), also keeping each event's destination
    on the stored event for the recorder to write."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        destination = destination_of(domain_event)
        if not destination:
            return stored
        return AddressedEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=stored.state,
            destination=destination,
        )


def rows_for(positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple[int, str]]:
    return [
        (position, event.destination)
        for position, event in zip(positions, stored_events)
        if isinstance(event, AddressedEvent) and event.destination
    ]


def recorded(queries: ReadModelQueries, prefix: str, first: int, last: int) -> dict[int, str]:
    """{position: destination} of the addressed events in [first, last]."""
    rows = queries.rows(
        f"SELECT position, destination FROM {destination_table(prefix)} WHERE position >= ? AND position <= ?",
        [first, last],
    )
    return {int(r["position"]): r["destination"] for r in rows}


def backfill(recorder: ReadModelRecorder, prefix: str, mapper: Mapper[UUID]) -> int:
    """Write the destination of every event recorded before destinations were written beside events (each decoded
    once, as the log service used to); events already addressed are left as they are. Returns the rows written."""
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT position FROM {destination_table(prefix)}")
        known = {int(r["position"]) for r in c.fetchall()}
    rows = []
    for notification in notifications(recorder):
        if notification.id not in known:
            destination = destination_of(mapper.to_domain_event(notification))
            if destination:
                rows.append((notification.id, destination))
    if rows:
        with recorder.datastore.transaction(commit=True) as c:
            c.executemany(recorder.dialect(insert_statement(prefix)), rows)
    return len(rows)
