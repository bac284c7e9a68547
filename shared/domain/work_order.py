"""Work order (工单, TMF641 ServiceOrder): one unit's share of an order, done in a fixed sequence."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import IllegalTransition
from shared.domain.values import MAX_TEXT, parse_enum, text


class WorkKind(str, Enum):
    """R-13: the units that act on an order, in the order they act."""

    RESOURCE_CONFIRMATION = "resourceConfirmation"  # 资源确认
    PROVISIONING = "provisioning"  # 开通
    BILLING_SETUP = "billingSetup"  # 计费设置


SEQUENCE = (WorkKind.RESOURCE_CONFIRMATION, WorkKind.PROVISIONING, WorkKind.BILLING_SETUP)


class WorkState(str, Enum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


W = WorkState
ALLOWED_WORK_TRANSITIONS = {
    W.ACKNOWLEDGED: frozenset({W.IN_PROGRESS, W.CANCELLED}),
    W.IN_PROGRESS: frozenset({W.COMPLETED, W.FAILED, W.CANCELLED}),
    W.COMPLETED: frozenset(),
    W.FAILED: frozenset(),
    W.CANCELLED: frozenset(),
}


def parse_work_state(value: object) -> WorkState:
    return parse_enum(WorkState, value, "state")


class WorkOrder(Aggregate):
    @event("Created")
    def __init__(
        self, *, order_id: UUID, kind: str, sequence: int, province: str, by: dict[str, str]
    ) -> None:
        self.order_id = order_id
        self.kind = kind
        self.sequence = sequence
        self.province = province
        self.state = WorkState.ACKNOWLEDGED.value
        self.history: list[dict[str, Any]] = []
        self.error_message = ""

    @classmethod
    def split(cls, order_id: UUID, province: str, by: dict[str, str]) -> list["WorkOrder"]:
        return [
            cls(order_id=order_id, kind=kind.value, sequence=n, province=province, by=by)
            for n, kind in enumerate(SEQUENCE, start=1)
        ]

    @property
    def is_open(self) -> bool:
        return self.state in (WorkState.ACKNOWLEDGED.value, WorkState.IN_PROGRESS.value)

    def ensure_can_move_to(self, target: WorkState) -> None:
        current = WorkState(self.state)
        if target not in ALLOWED_WORK_TRANSITIONS[current]:
            raise IllegalTransition(
                f"a work order in state {current.value} cannot move to {target.value}",
                field="state",
                current_state=current.value,
            )

    def move_to(self, target: WorkState, reason: object, at: datetime, by: dict[str, str]) -> None:
        self.ensure_can_move_to(target)
        self._state_changed(
            to_state=target.value,
            reason=text(reason, "stateReason", max_length=MAX_TEXT, required=False),
            at=at,
            by=by,
        )

    @event("StateChanged")
    def _state_changed(self, to_state: str, reason: str, at: datetime, by: dict[str, str]) -> None:
        self.state = to_state
        if to_state == WorkState.FAILED.value:
            self.error_message = reason
        self.history.append({"state": to_state, "at": at.isoformat(), "reason": reason, "by": by})
