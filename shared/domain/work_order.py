"""Work order (工单, TMF641 ServiceOrder): one unit's share of an order, done in a fixed sequence.

The work orders of one delivering province for one order form a *leg*: resource confirmation, provisioning
and billing set-up, in that order. The leg's state follows from its work orders (`leg_state`); the home
province's order follows from its legs (shared/domain/order.py). A leg delivered in another province (R-19)
is worked there exactly like local work; only its reports travel, through HQ.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import IllegalTransition
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.values import explained, parse_enum, repeated_move


class WorkKind(str, Enum):
    """R-13: the units that act on an order, in the order they act."""

    RESOURCE_CONFIRMATION = "resourceConfirmation"  # 资源确认
    PROVISIONING = "provisioning"  # 开通
    BILLING_SETUP = "billingSetup"  # 计费设置


SEQUENCE = (WorkKind.RESOURCE_CONFIRMATION, WorkKind.PROVISIONING, WorkKind.BILLING_SETUP)


class WorkState(str, Enum):
    """TMF641 service order states a work order (and a leg) can take."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    HELD = "held"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


W = WorkState
ALLOWED_WORK_TRANSITIONS = {
    W.ACKNOWLEDGED: frozenset({W.IN_PROGRESS, W.HELD, W.PENDING, W.REJECTED, W.CANCELLED}),
    W.IN_PROGRESS: frozenset({W.COMPLETED, W.FAILED, W.HELD, W.PENDING, W.REJECTED, W.CANCELLED}),
    W.HELD: frozenset({W.IN_PROGRESS, W.FAILED, W.CANCELLED}),
    W.PENDING: frozenset({W.IN_PROGRESS, W.FAILED, W.CANCELLED}),
    W.COMPLETED: frozenset(),
    W.FAILED: frozenset(),
    W.REJECTED: frozenset(),
    W.CANCELLED: frozenset(),
}
FINAL_WORK_STATES = frozenset(s for s, allowed in ALLOWED_WORK_TRANSITIONS.items() if not allowed)
OPEN_WORK_STATES = frozenset(WorkState) - FINAL_WORK_STATES
EXPLAINED = frozenset({W.REJECTED, W.FAILED})  # the reason reaches the home order and its manager's notice


def parse_work_state(value: object) -> WorkState:
    return parse_enum(WorkState, value, "state")


def leg_state(states: Iterable[str]) -> WorkState:
    """A leg's state from its work orders': a refusal or failure ends the leg; otherwise the least advanced wins."""
    present = {WorkState(s) for s in states}
    for decisive in (W.REJECTED, W.FAILED):
        if decisive in present:
            return decisive
    if present == {W.COMPLETED}:
        return W.COMPLETED
    for state in (W.CANCELLED, W.HELD, W.PENDING):
        if state in present:
            return state
    return W.ACKNOWLEDGED if present == {W.ACKNOWLEDGED} else W.IN_PROGRESS


class WorkOrder(Aggregate):
    class Created(Aggregate.Created):
        order_id: UUID
        kind: str
        sequence: int
        province: str
        by: Operator
        home_province: str
        customer: JSONObject | None
        items: list[JSONObject] | None

    @event(Created)
    def __init__(
        self,
        *,
        order_id: UUID,
        kind: str,
        sequence: int,
        province: str,
        by: Operator,
        home_province: str = "",
        customer: JSONObject | None = None,
        items: list[JSONObject] | None = None,
    ) -> None:
        self.order_id = order_id
        self.kind = kind
        self.sequence = sequence
        self.province = province
        self.home_province = home_province or province
        self.customer = customer
        self.items = items or []
        self.state = WorkState.ACKNOWLEDGED.value
        # not a TypedDict: province/work_orders/documents.py embeds it in a JSONObject, which a TypedDict is not
        self.history: list[dict[str, Any]] = []
        self.error_message = ""

    @classmethod
    def split(
        cls,
        order_id: UUID,
        province: str,
        by: Operator,
        *,
        home_province: str = "",
        customer: JSONObject | None = None,
        items: list[JSONObject] | None = None,
    ) -> list[WorkOrder]:
        return [
            cls(
                order_id=order_id,
                kind=kind.value,
                sequence=n,
                province=province,
                by=by,
                home_province=home_province,
                customer=customer,
                items=items,
            )
            for n, kind in enumerate(SEQUENCE, start=1)
        ]

    @property
    def is_open(self) -> bool:
        return WorkState(self.state) in OPEN_WORK_STATES

    @property
    def is_remote(self) -> bool:
        """Delivered here for an order accepted in another province (R-19)."""
        return self.home_province != self.province

    def ensure_can_move_to(self, target: WorkState) -> None:
        current = WorkState(self.state)
        if target not in ALLOWED_WORK_TRANSITIONS[current]:
            raise IllegalTransition(
                f"a work order in state {current.value} cannot move to {target.value}",
                field="state",
                current_state=current.value,
            )
        if target is WorkState.REJECTED and self.kind != WorkKind.RESOURCE_CONFIRMATION.value:
            raise IllegalTransition(
                "only resource confirmation rejects an order (no resources, no coverage); later work fails",
                field="state",
                current_state=current.value,
            )

    def move_to(self, target: WorkState, reason: object, at: datetime, by: Operator) -> None:
        self.ensure_can_move_to(target)
        self._state_changed(to_state=target.value, reason=explained(target, EXPLAINED, reason), at=at, by=by)

    def repeat(self, reason: object) -> None:
        """Asked for the state it is in: nothing to record, and a new reason cannot be applied (409)."""
        recorded = self.history[-1]["reason"] if self.history else ""
        repeated_move(self.state, recorded, reason, "stateReason")

    class StateChanged(Aggregate.Event):
        to_state: str
        reason: str
        at: datetime
        by: Operator

    @event(StateChanged)
    def _state_changed(self, to_state: str, reason: str, at: datetime, by: Operator) -> None:
        self.state = to_state
        if to_state in (WorkState.FAILED.value, WorkState.REJECTED.value):
            self.error_message = reason
        self.history.append({"state": to_state, "at": at.isoformat(), "reason": reason, "by": by.as_dict()})


def advance(
    work: WorkOrder, leg: list[WorkOrder], target: WorkState, reason: object, at: datetime, by: Operator
) -> list[WorkOrder]:
    """One step of a leg's work, by its staff: the sequence holds, and a refusal or failure cancels the rest.

    Returns the work orders changed (the one moved first). Cancelling is not a step: work is cancelled with
    its order (`close_open`).
    """
    if target is WorkState.CANCELLED:
        raise IllegalTransition(
            "work orders are cancelled with their order", field="state", current_state=work.state
        )
    if work.state == WorkState.ACKNOWLEDGED.value:  # its first move: held, pending or started, in turn
        for earlier in leg:
            if earlier.sequence < work.sequence and earlier.state != WorkState.COMPLETED.value:
                raise IllegalTransition(
                    f"{earlier.kind} must complete before {work.kind} starts",
                    field="state",
                    current_state=work.state,
                )
    work.move_to(target, reason, at, by)
    changed = [work]
    if target in (WorkState.FAILED, WorkState.REJECTED):
        changed += close_open([w for w in leg if w.id != work.id], f"{work.kind} {target.value}", at, by)
    return changed


def close_open(leg: list[WorkOrder], reason: str, at: datetime, by: Operator) -> list[WorkOrder]:
    """Cancel every work order of a leg that is still open; returns those changed."""
    closed = []
    for work in leg:
        if work.is_open:
            work.move_to(WorkState.CANCELLED, reason, at, by)
            closed.append(work)
    return closed
