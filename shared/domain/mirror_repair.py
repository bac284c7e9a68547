"""A repair of HQ's mirror of one province, on record (R-30): what was dropped, what was kept, who did it, why."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from shared.domain.operator import Operator


class MirrorReseeded(Aggregate):
    """HQ's mirror of `upstream` cut back to the last position both sides agree on, so the follower takes the
    province's log again from there, checking every link. What HQ had mirrored beyond is named here, hashes and
    all; HQ's own events stay as they were."""

    class Recorded(Aggregate.Created):
        upstream: str
        kept_upto: int
        kept_hash: str
        dropped_from: int
        dropped_upto: int
        dropped_head_hash: str
        dropped_records: int
        reason: str
        by: Operator

    @event(Recorded)
    def __init__(
        self,
        *,
        upstream: str,
        kept_upto: int,
        kept_hash: str,
        dropped_from: int,
        dropped_upto: int,
        dropped_head_hash: str,
        dropped_records: int,
        reason: str,
        by: Operator,
    ) -> None:
        self.upstream = upstream
        self.kept_upto = kept_upto
        self.kept_hash = kept_hash
        self.dropped_from = dropped_from
        self.dropped_upto = dropped_upto
        self.dropped_head_hash = dropped_head_hash
        self.dropped_records = dropped_records
        self.reason = reason
