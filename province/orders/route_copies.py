"""This province's copy of HQ's route table (R-3, R-19): the provinces an order item may be delivered in.

It arrives with the catalog, in the replicated batch's unit of work. Until one has arrived (a new province whose HQ
has not answered yet) the province works on its own (R-1): it accepts items for any province and HQ refuses back
home what it cannot route, as it always does.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.application import CrmApplication
from shared.domain.errors import InvalidValue
from shared.domain.route_table import ROUTE_COPY_ID, RouteTable, RouteTableCopy


class RouteCopies:
    """The copy of HQ's route table, and the one rule it serves: an item goes only where HQ routes."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def apply_route_table(self, event: RouteTable.Recorded | RouteTable.Changed) -> None:
        """HQ recorded its route table anew; in a replicated batch."""
        copy = self.hq_routes()
        as_of = event.timestamp.isoformat()
        if copy is None:
            self.store.created(RouteTableCopy(provinces=list(event.provinces), as_of=as_of, by=event.by))
        else:
            copy.replace(list(event.provinces), as_of, event.by)

    def hq_routes(self) -> RouteTableCopy | None:
        return self.store.find(RouteTableCopy, ROUTE_COPY_ID)

    def ensure_routed(self, province: str, field: str, member: Mapping[str, str] | None = None) -> None:
        """An item delivered in `province` must be one HQ routes to, as far as this province knows (400 otherwise)."""
        routes = self.hq_routes()
        if routes is None or routes.routes_to(province):
            return
        whose = f"the group member {member['name']} lives in {province}, and " if member else ""
        raise InvalidValue(
            f"{whose}no node serves {province}: HQ routes only to {', '.join(routes.provinces)} "
            f"(its route table as of {routes.as_of})",
            field=field,
        )
