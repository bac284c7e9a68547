"""An upstream's record that refers to something this node does not hold, on record instead of applied.

After a restore from an older backup a province no longer holds what it recorded since (an order accepted there,
say), while HQ goes on relaying what other provinces do with it. Such a record cannot be applied, now or on any
retry; stopping the follower for it would cut the province off from everything HQ sends after it. So it is kept as
an orphan — what it was, what it referred to, where it stood in the upstream's log — in the same transaction as the
batch's tracking record (exactly once), and the follower goes on. Orphans stay local: they are no one else's news.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import NotFound
from shared.domain.operator import Operator


class NotHeld(NotFound):
    """What a replicated record refers to is not held here: retrying cannot help."""

    def __init__(self, referred_type: str, referred_id: str, order_id: str = "") -> None:
        super().__init__(f"no {referred_type} with id '{referred_id}' here", field="id")
        self.referred_type = referred_type
        self.referred_id = referred_id
        self.order_id = order_id or referred_id


def orphan_id(upstream: str, position: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:orphan:{upstream}:{position}")


class OrphanRecord(Aggregate):
    """One record of `upstream` at `position` that was not applied because what it refers to is not held here."""

    @staticmethod
    def create_id(upstream: str, position: int, **_: object) -> UUID:
        return orphan_id(upstream, position)

    class Recorded(Aggregate.Created):
        upstream: str
        position: int
        event_type: str
        referred_type: str
        referred_id: str
        order_id: str
        province: str
        upstream_recorded_at: str
        reason: str
        by: Operator

    @event(Recorded)
    def __init__(
        self,
        *,
        upstream: str,
        position: int,
        event_type: str,
        referred_type: str,
        referred_id: str,
        order_id: str,
        province: str,
        upstream_recorded_at: str,
        reason: str,
        by: Operator,
    ) -> None:
        self.upstream = upstream
        self.position = position
        self.event_type = event_type
        self.referred_type = referred_type
        self.referred_id = referred_id
        self.order_id = order_id
        self.province = province
        self.upstream_recorded_at = upstream_recorded_at
        self.reason = reason
