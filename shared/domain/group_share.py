"""Group business across provinces (跨区集团业务, R-20): a group registered in its home province, seen where its
members are.

The home province owns the group. HQ, which follows every province's customers, tells each other province
where members live what it needs to serve them — the group, its grade and manager, and only the members
located there (`GroupShare`, addressed to that province). The province keeps a read-only `RemoteGroup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator

if TYPE_CHECKING:
    from shared.domain.customer import Customer


def share_id(group_id: str, province: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:group-share:{group_id}:{province}")


def group_view(group: Customer, province: str) -> JSONObject:
    """What `province` may see of a group registered elsewhere: no member of any other province."""
    return {
        "id": str(group.id),
        "name": group.name,
        "status": group.status,
        "grade": group.grade,
        "industry": group.industry,
        "certificate": {"type": group.certificate_type, "number": group.certificate_number},
        "homeProvince": group.province,
        "customerManager": group.current_manager,
        "member": [m for m in group.members.values() if m["province"] == province],
    }


class GroupShare(Aggregate):
    """At HQ: what one province has been told about one group; every change is addressed to that province."""

    @staticmethod
    def create_id(group_id: str, destination: str, **_: object) -> UUID:
        return share_id(group_id, destination)

    class Shared(Aggregate.Created):
        group_id: str
        destination: str
        view: dict[str, Any]
        by: Operator

    @event(Shared)
    def __init__(self, *, group_id: str, destination: str, view: dict[str, Any], by: Operator) -> None:
        self.group_id = group_id
        self.destination = destination
        self.view = view
        self.withdrawn = False

    def update(self, view: dict[str, Any], by: Operator) -> None:
        if view != self.view or self.withdrawn:
            self._updated(destination=self.destination, view=view, by=by)

    class Updated(Aggregate.Event):
        destination: str
        view: dict[str, Any]
        by: Operator

    @event(Updated)
    def _updated(self, destination: str, view: dict[str, Any], by: Operator) -> None:
        self.view = view
        self.withdrawn = False

    def withdraw(self, by: Operator) -> None:
        """No member lives in the province any more: it stops seeing the group."""
        if not self.withdrawn:
            self._withdrawn(destination=self.destination, group_id=self.group_id, by=by)

    class Withdrawn(Aggregate.Event):
        destination: str
        group_id: str
        by: Operator

    @event(Withdrawn)
    def _withdrawn(self, destination: str, group_id: str, by: Operator) -> None:
        self.withdrawn = True


class RemoteGroup(Aggregate):
    """In a member's province: the read-only view of a group its home province owns (id = the group's id)."""

    @staticmethod
    def create_id(view: dict[str, Any], **_: object) -> UUID:
        return UUID(view["id"])

    class Received(Aggregate.Created):
        view: dict[str, Any]
        by: Operator

    @event(Received)
    def __init__(self, *, view: dict[str, Any], by: Operator) -> None:
        self.view = view
        self.withdrawn = False

    def replace(self, view: dict[str, Any], by: Operator) -> None:
        if view != self.view or self.withdrawn:
            self._replaced(view=view, by=by)

    class Replaced(Aggregate.Event):
        view: dict[str, Any]
        by: Operator

    @event(Replaced)
    def _replaced(self, view: dict[str, Any], by: Operator) -> None:
        self.view = view
        self.withdrawn = False

    def withdraw(self, by: Operator) -> None:
        if not self.withdrawn:
            self._withdrawn(by=by)

    class Withdrawn(Aggregate.Event):
        by: Operator

    @event(Withdrawn)
    def _withdrawn(self, by: Operator) -> None:
        self.withdrawn = True
