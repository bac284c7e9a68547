"""HQ's route table (R-3, R-19): the provinces HQ follows, so the provinces it can forward work to.

HQ keeps it as an aggregate whose events are recorded when the set of provinces it follows changes (at start-up,
when an upstream is added); they go to every province with the catalog. Each province keeps a copy and refuses an
order item for a province no node serves instead of accepting work HQ would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.operator import Operator

ROUTE_TABLE_ID = uuid5(NAMESPACE_URL, "crm:route-table")
ROUTE_COPY_ID = uuid5(NAMESPACE_URL, "crm:route-table-copy")


class RouteTable(Aggregate):
    """At HQ: the provinces it routes to."""

    @staticmethod
    def create_id(**_: object) -> UUID:
        return ROUTE_TABLE_ID

    class Recorded(Aggregate.Created):
        provinces: list[str]
        by: Operator

    @event(Recorded)
    def __init__(self, *, provinces: list[str], by: Operator) -> None:
        self.provinces = provinces

    def follow(self, provinces: Iterable[str], by: Operator) -> None:
        routed = sorted(set(provinces))
        if routed != self.provinces:
            self._changed(provinces=routed, by=by)

    class Changed(Aggregate.Event):
        provinces: list[str]
        by: Operator

    @event(Changed)
    def _changed(self, provinces: list[str], by: Operator) -> None:
        self.provinces = provinces


class RouteTableCopy(Aggregate):
    """In a province: HQ's route table as it last arrived (`as_of`: when HQ recorded it)."""

    @staticmethod
    def create_id(**_: object) -> UUID:
        return ROUTE_COPY_ID

    class Received(Aggregate.Created):
        provinces: list[str]
        as_of: str
        by: Operator

    @event(Received)
    def __init__(self, *, provinces: list[str], as_of: str, by: Operator) -> None:
        self.provinces = provinces
        self.as_of = as_of

    def replace(self, provinces: list[str], as_of: str, by: Operator) -> None:
        if (provinces, as_of) != (self.provinces, self.as_of):
            self._replaced(provinces=provinces, as_of=as_of, by=by)

    class Replaced(Aggregate.Event):
        provinces: list[str]
        as_of: str
        by: Operator

    @event(Replaced)
    def _replaced(self, provinces: list[str], as_of: str, by: Operator) -> None:
        self.provinces = provinces
        self.as_of = as_of

    def routes_to(self, province: str) -> bool:
        return province in self.provinces
