"""Product order (订单, TMF622): items from the catalog for one customer, SLA due date, state machine."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.domain.calendar import WorkingCalendar, business_date
from shared.domain.catalog import CircuitType, OfferingTerms
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.values import MAX_TEXT, parse_enum, text


class OrderState(str, Enum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    PENDING = "pending"
    HELD = "held"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    ASSESSING_CANCELLATION = "assessingCancellation"
    PENDING_CANCELLATION = "pendingCancellation"
    PARTIAL = "partial"


S = OrderState
ALLOWED_ORDER_TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.PENDING, S.HELD, S.ASSESSING_CANCELLATION}),
    S.IN_PROGRESS: frozenset({S.PENDING, S.HELD, S.COMPLETED, S.FAILED, S.PARTIAL, S.ASSESSING_CANCELLATION}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.ASSESSING_CANCELLATION, S.FAILED}),
    S.HELD: frozenset({S.IN_PROGRESS, S.ASSESSING_CANCELLATION, S.FAILED}),
    S.ASSESSING_CANCELLATION: frozenset({S.PENDING_CANCELLATION, S.IN_PROGRESS, S.HELD, S.PENDING}),
    S.PENDING_CANCELLATION: frozenset({S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.PARTIAL: frozenset(),
}
FINAL_STATES = frozenset(s for s, allowed in ALLOWED_ORDER_TRANSITIONS.items() if not allowed)


class AcceptanceKind(str, Enum):
    """业务受理类型 (R-15)."""

    NEW_INSTALL = "newInstall"
    MOVE = "move"
    CHANGE_WITHOUT_LEASE_CHANGE = "changeWithoutLeaseChange"
    CHANGE_WITH_LEASE_CHANGE = "changeWithLeaseChange"
    OTHER = "other"


class SlaClass(str, Enum):
    """R-16: 特急 urgent, 加急 expedited, 普通 normal."""

    URGENT = "urgent"
    EXPEDITED = "expedited"
    NORMAL = "normal"


# provisioning due in working days per circuit type, one-time fee surcharge and late compensation.
DUE_WORKING_DAYS = {
    SlaClass.URGENT: {CircuitType.DIGITAL_CIRCUIT: 5, CircuitType.DDN: 8, CircuitType.FR_ATM: 8},
    SlaClass.EXPEDITED: {CircuitType.DIGITAL_CIRCUIT: 10, CircuitType.DDN: 13, CircuitType.FR_ATM: 13},
    SlaClass.NORMAL: {CircuitType.DIGITAL_CIRCUIT: 20, CircuitType.DDN: 20, CircuitType.FR_ATM: 20},
}
SURCHARGE_PERCENT = {SlaClass.URGENT: 150, SlaClass.EXPEDITED: 130, SlaClass.NORMAL: 100}
COMPENSATION_PERCENT_PER_LATE_DAY = {SlaClass.URGENT: 5, SlaClass.EXPEDITED: 5, SlaClass.NORMAL: 2}
CALLBACK_WITHIN = timedelta(days=7)  # call back within a week after provisioning
MAX_ITEMS = 50


def percent_of(amount: int, percent: int) -> int:
    """Integer fen, rounded half up."""
    return (amount * percent + 50) // 100


def due_working_days(sla_class: SlaClass, circuit_types: list[str | None]) -> int:
    """Items without a circuit type take the digital-circuit column; the slowest item sets the date."""
    columns = DUE_WORKING_DAYS[sla_class]
    return max(columns[CircuitType(c) if c else CircuitType.DIGITAL_CIRCUIT] for c in circuit_types)


def compensation(sla_class: SlaClass, one_time_fee: int, late_working_days: int) -> int:
    """R-16: a share of the one-time fee per late working day, capped at the whole one-time fee."""
    if late_working_days <= 0:
        return 0
    owed = percent_of(one_time_fee, COMPENSATION_PERCENT_PER_LATE_DAY[sla_class] * late_working_days)
    return min(owed, one_time_fee)


class ProductOrder(Aggregate):
    """An order accepted in this province; its work orders' completion drives it to completed."""

    @classmethod
    def accept(
        cls,
        *,
        customer_id: str,
        customer_name: str,
        province: str,
        offerings: list[tuple[str, OfferingTerms, int]],
        acceptance_kind: object,
        sla_class: object,
        description: object,
        channel: str,
        accepted_at: datetime,
        calendar: WorkingCalendar,
        by: dict[str, str],
    ) -> "ProductOrder":
        """`offerings` holds (item id, released offering terms, quantity) per order item."""
        if not offerings or len(offerings) > MAX_ITEMS:
            raise InvalidValue(f"from 1 to {MAX_ITEMS} order items", field="productOrderItem")
        for n, (_, terms, quantity) in enumerate(offerings):
            if not terms.orderable:
                raise InvalidValue(
                    f"offering '{terms.id}' is {terms.lifecycle_status}; only released offerings can be ordered",
                    field=f"productOrderItem[{n}].productOffering.id",
                )
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise InvalidValue("must be a positive integer", field=f"productOrderItem[{n}].quantity")
        sla = parse_enum(SlaClass, sla_class if sla_class is not None else "normal", "slaClass")
        kind = parse_enum(AcceptanceKind, acceptance_kind if acceptance_kind is not None else "newInstall", "acceptanceKind")
        items = []
        for item_id, terms, quantity in offerings:
            base = terms.one_time_fee * quantity
            items.append(
                {
                    "id": item_id,
                    "offeringId": terms.id,
                    "offeringName": terms.name,
                    "circuitType": terms.circuit_type,
                    "quantity": quantity,
                    "oneTimeFee": base,
                    "surchargedOneTimeFee": percent_of(base, SURCHARGE_PERCENT[sla]),
                    "monthlyFee": terms.monthly_fee * quantity,
                }
            )
        days = due_working_days(sla, [i["circuitType"] for i in items])
        due = calendar.add_working_days(business_date(accepted_at), days)
        return cls(
            customer_id=customer_id,
            customer_name=customer_name,
            province=province,
            items=items,
            acceptance_kind=kind.value,
            sla_class=sla.value,
            description=text(description, "description", max_length=MAX_TEXT, required=False),
            channel=channel,
            accepted_at=accepted_at,
            due_date=due,
            by=by,
        )

    @event("Accepted")
    def __init__(
        self,
        *,
        customer_id: str,
        customer_name: str,
        province: str,
        items: list[dict[str, Any]],
        acceptance_kind: str,
        sla_class: str,
        description: str,
        channel: str,
        accepted_at: datetime,
        due_date: date,
        by: dict[str, str],
    ) -> None:
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.province = province
        self.items = items
        self.acceptance_kind = acceptance_kind
        self.sla_class = sla_class
        self.description = description
        self.channel = channel
        self.accepted_at = accepted_at
        self.due_date = due_date
        self.state = OrderState.ACKNOWLEDGED.value
        self.history: list[dict[str, Any]] = [
            {"state": self.state, "at": accepted_at.isoformat(), "reason": "", "by": by}
        ]
        self.state_before_cancellation: str | None = None
        self.cancellation: dict[str, Any] | None = None
        self.completion: dict[str, Any] | None = None
        self.callback: dict[str, Any] | None = None

    @property
    def one_time_fee(self) -> int:
        return sum(i["surchargedOneTimeFee"] for i in self.items)

    @property
    def monthly_fee(self) -> int:
        return sum(i["monthlyFee"] for i in self.items)

    @property
    def is_final(self) -> bool:
        return OrderState(self.state) in FINAL_STATES

    # --- state machine ---------------------------------------------------------------------

    def ensure_can_move_to(self, target: OrderState, field: str = "state") -> None:
        current = OrderState(self.state)
        if target not in ALLOWED_ORDER_TRANSITIONS[current]:
            raise IllegalTransition(
                f"an order in state {current.value} cannot move to {target.value}",
                field=field,
                current_state=current.value,
            )

    def move_to(self, state: object, reason: object, at: datetime, by: dict[str, str]) -> None:
        """A desk-driven transition; completion comes only from the work orders (see `complete`)."""
        target = parse_enum(OrderState, state, "state")
        if target is OrderState(self.state):
            return
        if target is OrderState.COMPLETED:
            raise IllegalTransition(
                "an order completes when its last work order completes",
                field="state",
                current_state=self.state,
            )
        self.ensure_can_move_to(target)
        self._state_changed(
            from_state=self.state,
            to_state=target.value,
            reason=text(reason, "stateReason", max_length=MAX_TEXT, required=False),
            at=at,
            by=by,
        )

    @event("StateChanged")
    def _state_changed(
        self, from_state: str, to_state: str, reason: str, at: datetime, by: dict[str, str]
    ) -> None:
        if to_state == OrderState.ASSESSING_CANCELLATION.value:
            self.state_before_cancellation = from_state
        self.state = to_state
        self.history.append({"state": to_state, "at": at.isoformat(), "reason": reason, "by": by})

    def start(self, at: datetime, by: dict[str, str]) -> None:
        """The first work order started: an acknowledged order is now in progress."""
        if self.state == OrderState.ACKNOWLEDGED.value:
            self._state_changed(
                from_state=self.state, to_state=OrderState.IN_PROGRESS.value,
                reason="work started", at=at, by=by,
            )

    def cancel(self, reason: object, at: datetime, by: dict[str, str]) -> None:
        """TMF622 cancelProductOrder: assessingCancellation → pendingCancellation → cancelled.

        An order the desk already put in assessingCancellation or pendingCancellation (PATCH) goes on
        from where it stands; any other state must allow assessingCancellation.
        """
        why = text(reason, "cancellationReason", max_length=MAX_TEXT, required=False)
        steps = (S.ASSESSING_CANCELLATION, S.PENDING_CANCELLATION, S.CANCELLED)
        current = OrderState(self.state)
        if current in steps[:2]:
            remaining = steps[steps.index(current) + 1:]
        else:
            self.ensure_can_move_to(OrderState.ASSESSING_CANCELLATION, field="productOrder.id")
            remaining = steps
        for target in remaining:
            self._state_changed(from_state=self.state, to_state=target.value, reason=why, at=at, by=by)
        self._cancellation_recorded(reason=why, at=at, by=by)

    @event("CancellationRecorded")
    def _cancellation_recorded(self, reason: str, at: datetime, by: dict[str, str]) -> None:
        self.cancellation = {"reason": reason, "at": at.isoformat(), "by": by}

    def complete(
        self, at: datetime, calendar: WorkingCalendar, manager: dict[str, Any] | None, by: dict[str, str]
    ) -> None:
        """All work orders done: compensation for lateness (R-16) and the completion notice (R-18)."""
        self.ensure_can_move_to(OrderState.COMPLETED)
        at = at.astimezone(timezone.utc)  # callbackDue is compared as an ISO UTC string in the read model
        late = calendar.working_days_between(self.due_date, business_date(at))
        owed = compensation(SlaClass(self.sla_class), self.one_time_fee, late)
        notice = {
            "to": manager["id"] if manager else None,
            "toName": manager["name"] if manager else None,
            "role": "customerManager",
            "text": f"order for {self.customer_name} completed",
            "at": at.isoformat(),
        }
        self._completed(
            at=at, late_working_days=late, compensation=owed, notice=notice,
            callback_due=at + CALLBACK_WITHIN, by=by,
        )

    @event("Completed")
    def _completed(
        self,
        at: datetime,
        late_working_days: int,
        compensation: int,
        notice: dict[str, Any],
        callback_due: datetime,
        by: dict[str, str],
    ) -> None:
        self.state = OrderState.COMPLETED.value
        self.history.append({"state": self.state, "at": at.isoformat(), "reason": "work orders completed", "by": by})
        self.completion = {
            "at": at.isoformat(),
            "lateWorkingDays": late_working_days,
            "compensation": compensation,
            "notice": notice,
            "callbackDue": callback_due.isoformat(),
        }

    def fail(self, reason: str, at: datetime, by: dict[str, str]) -> None:
        self.ensure_can_move_to(OrderState.FAILED)
        self._state_changed(from_state=self.state, to_state=OrderState.FAILED.value, reason=reason, at=at, by=by)

    # --- callback (回访, R-17) ---------------------------------------------------------------

    def record_callback(self, result: object, satisfied: object, at: datetime, by: dict[str, str]) -> None:
        if self.completion is None:
            raise IllegalTransition(
                "an order is called back after it completes", field="result", current_state=self.state
            )
        if self.callback is not None:
            raise IllegalTransition("the callback is already recorded", field="result", current_state=self.state)
        if not isinstance(satisfied, bool):
            raise InvalidValue("must be true or false", field="satisfied")
        self._callback_recorded(
            result=text(result, "result", max_length=MAX_TEXT), satisfied=satisfied, at=at, by=by
        )

    @event("CallbackRecorded")
    def _callback_recorded(self, result: str, satisfied: bool, at: datetime, by: dict[str, str]) -> None:
        self.callback = {"result": result, "satisfied": satisfied, "at": at.isoformat(), "by": by}

    def charges(self) -> list[dict[str, Any]]:
        """What billing posts when the order completes: one-time fees (less compensation) and monthly fees."""
        if self.completion is None:
            return []
        reference = str(self.id)
        owed = self.completion["compensation"]
        charges = [
            {
                "kind": "oneTime",
                "amount": self.one_time_fee - owed,
                "description": "one-time fees" + (f" less {owed} fen late compensation" if owed else ""),
                "reference": reference,
            }
        ]
        if self.monthly_fee:
            charges.append(
                {"kind": "monthly", "amount": self.monthly_fee, "description": "monthly fees", "reference": reference}
            )
        return [c for c in charges if c["amount"] > 0]
