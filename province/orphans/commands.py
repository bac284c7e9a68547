"""HQ's records this province could not apply because what they refer to is not held here (lost in a restore):
recorded as orphans with the batch, listed for the operator, counted in the metrics."""

from __future__ import annotations

import logging
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent

from replication.chain import LogRecord
from shared.application import CrmApplication
from shared.domain.operator import SYSTEM
from shared.domain.orphan import NotHeld, OrphanRecord
from shared.persistence.queries import Page, equal

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)


class OrphanRecords:
    """What the node's replicated batches could not apply; `held` is how a policy asks for what a record refers
    to."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def held(self, cls: type[A], aggregate_id: str | UUID, order_id: str = "") -> A:
        """What a replicated record refers to; NotHeld (an orphan, not a failure) when it is not here."""
        aggregate = self.store.find(cls, aggregate_id)
        if aggregate is None:
            raise NotHeld(cls.__name__, str(aggregate_id), order_id)
        return aggregate

    def orphaned(
        self, upstream: str, record: LogRecord, event: DomainEvent, missing: NotHeld
    ) -> OrphanRecord:
        """The record kept instead of applied, to be saved with the batch."""
        orphan = OrphanRecord(
            upstream=upstream,
            position=record.position,
            event_type=type(event).__qualname__,
            referred_type=missing.referred_type,
            referred_id=missing.referred_id,
            order_id=missing.order_id,
            province=getattr(event, "province", "") or "",
            upstream_recorded_at=record.recorded_at,
            reason=missing.reason,
            by=SYSTEM,
        )
        self.store.created(orphan)
        return orphan

    @staticmethod
    def warn_orphaned(orphans: list[OrphanRecord]) -> None:
        """One line per orphan, once its batch is recorded."""
        for o in orphans:
            log.warning(
                "replication from %s: record %d (%s) refers to %s %s, which this node does not hold; kept "
                "as an orphan (GET /replication/orphans), not applied",
                o.upstream,
                o.position,
                o.event_type,
                o.referred_type,
                o.referred_id,
            )

    def list_orphans(
        self, upstream: str | None = None, order_id: str | None = None, offset: int = 0, limit: int = 100
    ) -> Page:
        return self.store.queries.page(
            "replication_orphan",
            equal(("upstream", upstream), ("order_id", order_id)),
            offset=offset,
            limit=limit,
            order_by="upstream, position",
        )

    def orphans_by_upstream(self) -> dict[str, int]:
        rows = self.store.queries.rows(
            "SELECT upstream, COUNT(*) AS n FROM {replication_orphan} GROUP BY upstream"
        )
        return {r["upstream"]: int(r["n"]) for r in rows}
