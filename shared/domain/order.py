"""Product order (订单, TMF622): items from the catalog for one customer, SLA due date, state machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple

from eventsourcing.domain import Aggregate, event

from shared.domain.calendar import WorkingCalendar, business_date
from shared.domain.catalog import CircuitType, OfferingTerms
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.json_types import JSON, JSONObject
from shared.domain.operator import Operator
from shared.domain.records import Callback, StateChange
from shared.domain.values import MAX_TEXT, explained, parse_enum, repeated_move, text
from shared.domain.work_order import FINAL_WORK_STATES, WorkState


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
    S.ACKNOWLEDGED: frozenset(
        {S.IN_PROGRESS, S.REJECTED, S.PENDING, S.HELD, S.FAILED, S.ASSESSING_CANCELLATION}
    ),
    S.IN_PROGRESS: frozenset({S.PENDING, S.HELD, S.COMPLETED, S.FAILED, S.PARTIAL, S.ASSESSING_CANCELLATION}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.HELD, S.ASSESSING_CANCELLATION, S.FAILED, S.PARTIAL}),
    S.HELD: frozenset({S.IN_PROGRESS, S.PENDING, S.ASSESSING_CANCELLATION, S.FAILED, S.PARTIAL}),
    S.ASSESSING_CANCELLATION: frozenset(
        {
            S.PENDING_CANCELLATION,
            S.ACKNOWLEDGED,
            S.IN_PROGRESS,
            S.HELD,
            S.PENDING,
            S.COMPLETED,
            S.PARTIAL,
            S.FAILED,
        }
    ),
    S.PENDING_CANCELLATION: frozenset({S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.PARTIAL: frozenset(),
}
FINAL_STATES = frozenset(s for s, allowed in ALLOWED_ORDER_TRANSITIONS.items() if not allowed)
DESK_REFUSED = frozenset(
    {S.COMPLETED, S.PARTIAL}
)  # they carry charges: only the work orders get an order there
CANCELLATION_STATES = frozenset({S.ASSESSING_CANCELLATION, S.PENDING_CANCELLATION})
EXPLAINED = frozenset({S.REJECTED, S.FAILED})  # the desk says why it ends an order so
LEG_STATE_OF_FINAL = {
    S.FAILED.value: WorkState.FAILED.value,
    S.REJECTED.value: WorkState.REJECTED.value,
    S.CANCELLED.value: WorkState.CANCELLED.value,
}


def derived_state(legs: list[str]) -> OrderState:
    """An order's state from its legs' (one leg per delivering province, R-19): finished when every leg is —
    completed if all completed, partial if some, failed if none; otherwise held or pending when a leg waits."""
    states = {WorkState(s) for s in legs}
    if states <= FINAL_WORK_STATES:
        if states == {WorkState.COMPLETED}:
            return S.COMPLETED
        if states == {WorkState.CANCELLED}:
            return S.CANCELLED
        return S.PARTIAL if WorkState.COMPLETED in states else S.FAILED
    open_states = states - FINAL_WORK_STATES
    for waiting, state in ((WorkState.HELD, S.HELD), (WorkState.PENDING, S.PENDING)):
        if waiting in open_states:
            return state
    return S.ACKNOWLEDGED if states == {WorkState.ACKNOWLEDGED} else S.IN_PROGRESS


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


class OrderLine(NamedTuple):
    """One requested item: its offering's released terms, quantity, and where it is delivered (R-19)."""

    item_id: str
    terms: OfferingTerms
    quantity: int
    delivering_province: str | None = None  # None: the home province
    member: dict[str, str] | None = None  # a group member the item is for (集团成员)


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


def new_leg() -> JSONObject:
    return {"state": WorkState.ACKNOWLEDGED.value, "reason": "", "completedAt": None, "work": []}


class ProductOrder(Aggregate):
    """An order accepted in this (home) province. Its items are grouped in legs, one per delivering province;
    each leg's work orders run where it is delivered, and the order's state follows its legs (`derived_state`)."""

    @classmethod
    def accept(
        cls,
        *,
        customer_id: str,
        customer_name: str,
        province: str,
        offerings: Sequence[OrderLine],
        acceptance_kind: object,
        sla_class: object,
        description: object,
        channel: str,
        accepted_at: datetime,
        calendar: WorkingCalendar,
        by: Operator,
    ) -> ProductOrder:
        """`offerings` holds an `OrderLine` (item id, released offering terms, quantity, …) per order item."""
        if not offerings or len(offerings) > MAX_ITEMS:
            raise InvalidValue(f"from 1 to {MAX_ITEMS} order items", field="productOrderItem")
        lines = [OrderLine(*line) for line in offerings]
        for n, line in enumerate(lines):
            if not line.terms.orderable:
                raise InvalidValue(
                    f"offering '{line.terms.id}' is {line.terms.lifecycle_status}; only released offerings can be ordered",
                    field=f"productOrderItem[{n}].productOffering.id",
                )
            if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
                raise InvalidValue("must be a positive integer", field=f"productOrderItem[{n}].quantity")
        sla = parse_enum(SlaClass, sla_class if sla_class is not None else "normal", "slaClass")
        kind = parse_enum(
            AcceptanceKind, acceptance_kind if acceptance_kind is not None else "newInstall", "acceptanceKind"
        )
        items = [_item(line, province, sla) for line in lines]
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

    class Accepted(Aggregate.Created):
        customer_id: str
        customer_name: str
        province: str
        items: list[dict[str, Any]]
        acceptance_kind: str
        sla_class: str
        description: str
        channel: str
        accepted_at: datetime
        due_date: date
        by: Operator

    @event(Accepted)
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
        by: Operator,
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
        self.legs: dict[str, dict[str, Any]] = {
            p: new_leg() for p in sorted({i.get("deliveringProvince") or province for i in items})
        }
        self.history: list[StateChange] = [
            {"state": self.state, "at": accepted_at.isoformat(), "reason": "", "by": by.as_dict()}
        ]
        self.notices: list[JSONObject] = []
        self.cancellation: dict[str, Any] | None = None
        self.completion: dict[str, Any] | None = None
        self.callback: Callback | None = None

    @property
    def one_time_fee(self) -> int:
        return sum(i["surchargedOneTimeFee"] for i in self.items)

    @property
    def monthly_fee(self) -> int:
        return sum(i["monthlyFee"] for i in self.items)

    @property
    def is_final(self) -> bool:
        return OrderState(self.state) in FINAL_STATES

    @property
    def remote_provinces(self) -> list[str]:
        """The provinces delivering part of this order for it (R-19), through HQ."""
        return [p for p in self.legs if p != self.province]

    @property
    def is_cross_province(self) -> bool:
        return bool(self.remote_provinces)

    def items_of(self, province: str) -> list[dict[str, Any]]:
        return [i for i in self.items if (i.get("deliveringProvince") or self.province) == province]

    def leg_state(self, province: str) -> str:
        state: str = self.legs[province]["state"]
        return state

    # --- state machine ---------------------------------------------------------------------

    def ensure_can_move_to(self, target: OrderState, field: str = "state") -> None:
        current = OrderState(self.state)
        if target not in ALLOWED_ORDER_TRANSITIONS[current]:
            raise IllegalTransition(
                f"an order in state {current.value} cannot move to {target.value}",
                field=field,
                current_state=current.value,
            )

    def move_to(self, state: object, reason: object, at: datetime, by: Operator) -> None:
        """A desk-driven transition; completion comes only from the work orders, a cross-province order's
        state only from its legs."""
        target = parse_enum(OrderState, state, "state")
        if target is OrderState(self.state):
            repeated_move(self.state, self.history[-1]["reason"], reason, "stateReason")
            return
        if target in DESK_REFUSED:
            raise IllegalTransition(
                "an order completes when its last work order completes",
                field="state",
                current_state=self.state,
            )
        if self.is_cross_province:
            raise IllegalTransition(
                "a cross-province order follows its delivering provinces' work; cancel it with cancelProductOrder",
                field="state",
                current_state=self.state,
            )
        self.ensure_can_move_to(target)
        self._state_changed(
            from_state=self.state,
            to_state=target.value,
            reason=explained(target, EXPLAINED, reason),
            at=at,
            by=by,
        )

    class StateChanged(Aggregate.Event):
        from_state: str
        to_state: str
        reason: str
        at: datetime
        by: Operator

    @event(StateChanged)
    def _state_changed(self, from_state: str, to_state: str, reason: str, at: datetime, by: Operator) -> None:
        self.state = to_state
        self.history.append({"state": to_state, "at": at.isoformat(), "reason": reason, "by": by.as_dict()})
        if to_state in LEG_STATE_OF_FINAL:  # the desk ended the order: its unfinished legs end with it
            for leg in self.legs.values():
                if WorkState(leg["state"]) not in FINAL_WORK_STATES:
                    leg["state"] = LEG_STATE_OF_FINAL[to_state]

    # --- legs --------------------------------------------------------------------------------

    def progress_leg(
        self,
        *,
        province: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        calendar: WorkingCalendar,
        manager: Mapping[str, JSON] | None,
        by: Operator,
    ) -> None:
        """A work order of one leg moved (here, or in the delivering province as relayed by HQ)."""
        if province not in self.legs:
            raise InvalidValue(f"the order has no items delivered in {province}", field="deliveringProvince")
        at = at.astimezone(UTC)
        notice = None
        if province != self.province and leg_state in (WorkState.REJECTED.value, WorkState.FAILED.value):
            notice = _notice(
                manager, f"{province} {leg_state} the order for {self.customer_name}: {reason}", at
            )
        self._leg_progressed(
            province=province,
            work_kind=work_kind,
            work_state=work_state,
            leg_state=leg_state,
            reason=reason,
            at=at,
            notice=notice,
            by=by,
        )
        if OrderState(self.state) not in CANCELLATION_STATES:
            where = f"{province} " if province != self.province else ""
            why = f"{where}{work_kind} {work_state}" + (f": {reason}" if reason else "")
            self._follow_legs(why, at, calendar, manager, by)

    class LegProgressed(Aggregate.Event):
        province: str
        work_kind: str
        work_state: str
        leg_state: str
        reason: str
        at: datetime
        notice: JSONObject | None
        by: Operator

    @event(LegProgressed)
    def _leg_progressed(
        self,
        province: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        notice: JSONObject | None,
        by: Operator,
    ) -> None:
        leg = self.legs[province]
        leg["state"] = leg_state
        if leg_state in (WorkState.REJECTED.value, WorkState.FAILED.value):
            leg["reason"] = reason
        if leg_state == WorkState.COMPLETED.value:
            leg["completedAt"] = at.isoformat()
        leg["work"].append(
            {
                "workKind": work_kind,
                "state": work_state,
                "reason": reason,
                "at": at.isoformat(),
                "by": by.as_dict(),
            }
        )
        if notice:
            self.notices.append(notice)

    def _follow_legs(
        self,
        reason: str,
        at: datetime,
        calendar: WorkingCalendar,
        manager: Mapping[str, JSON] | None,
        by: Operator,
    ) -> None:
        if self.is_final:
            return
        target = derived_state([leg["state"] for leg in self.legs.values()])
        if target is OrderState(self.state) or target is OrderState.CANCELLED:  # cancelled only by `cancel`
            return
        self.ensure_can_move_to(target)
        if target in (OrderState.COMPLETED, OrderState.PARTIAL):
            self._finish(target, calendar, manager, by)
        else:
            self._state_changed(from_state=self.state, to_state=target.value, reason=reason, at=at, by=by)

    def complete(
        self, at: datetime, calendar: WorkingCalendar, manager: Mapping[str, JSON] | None, by: Operator
    ) -> None:
        """The home leg's last work order completed at `at` (a local order's completion)."""
        self.ensure_can_move_to(OrderState.COMPLETED)
        self.progress_leg(
            province=self.province,
            work_kind="billingSetup",
            work_state=WorkState.COMPLETED.value,
            leg_state=WorkState.COMPLETED.value,
            reason="",
            at=at,
            calendar=calendar,
            manager=manager,
            by=by,
        )

    def _finish(
        self,
        target: OrderState,
        calendar: WorkingCalendar,
        manager: Mapping[str, JSON] | None,
        by: Operator,
    ) -> None:
        """Every leg is finished: compensation for lateness per item (R-16) and the completion notice (R-18).

        The due date counts from acceptance here; each item is late by its own leg's completion date.
        """
        items: dict[str, dict[str, int]] = {}
        finished = []
        for item in self.items:
            leg = self.legs[item.get("deliveringProvince") or self.province]
            if leg["state"] != WorkState.COMPLETED.value:
                continue
            done = datetime.fromisoformat(leg["completedAt"])
            finished.append(done)
            late = calendar.working_days_between(self.due_date, business_date(done))
            items[item["id"]] = {
                "lateWorkingDays": late,
                "compensation": compensation(SlaClass(self.sla_class), item["surchargedOneTimeFee"], late),
            }
        at = max(finished)
        what = "completed" if target is OrderState.COMPLETED else "partially completed"
        self._completed(
            at=at,
            late_working_days=max(i["lateWorkingDays"] for i in items.values()),
            compensation=sum(i["compensation"] for i in items.values()),
            notice=_notice(manager, f"order for {self.customer_name} {what}", at),
            callback_due=at + CALLBACK_WITHIN,
            by=by,
            state=target.value,
            items=items,
        )

    class Completed(Aggregate.Event):
        at: datetime
        late_working_days: int
        compensation: int
        notice: JSONObject
        callback_due: datetime
        by: Operator
        state: str
        items: dict[str, dict[str, int]] | None

    @event(Completed)
    def _completed(
        self,
        at: datetime,
        late_working_days: int,
        compensation: int,
        notice: JSONObject,
        callback_due: datetime,
        by: Operator,
        state: str = OrderState.COMPLETED.value,
        items: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.state = state
        reason = (
            "work orders completed" if state == OrderState.COMPLETED.value else "some legs did not complete"
        )
        self.history.append({"state": self.state, "at": at.isoformat(), "reason": reason, "by": by.as_dict()})
        self.completion = {
            "at": at.isoformat(),
            "lateWorkingDays": late_working_days,
            "compensation": compensation,
            "notice": notice,
            "callbackDue": callback_due.isoformat(),
            "items": items or {},
        }
        if items is None:  # recorded before orders had legs: its one leg completed with it
            for leg in self.legs.values():
                leg.update(state=WorkState.COMPLETED.value, completedAt=at.isoformat())

    # --- cancellation ---------------------------------------------------------------------------

    def cancel(self, reason: object, at: datetime, by: Operator) -> list[str]:
        """TMF622 cancelProductOrder: assessingCancellation → pendingCancellation → cancelled.

        An order the desk already put in assessingCancellation or pendingCancellation (PATCH) goes on from where
        it stands; any other state must allow assessingCancellation. While another province still works a leg,
        the order waits in assessingCancellation for that province's answer (`answer_cancellation`); returns the
        provinces asked. Work delivered anywhere already cannot be cancelled.
        """
        why = text(reason, "cancellationReason", max_length=MAX_TEXT, required=False)
        for province, leg in self.legs.items():
            if leg["state"] == WorkState.COMPLETED.value and self.is_cross_province:
                raise IllegalTransition(
                    f"{province} completed its work at {leg['completedAt']}; delivered work cannot be cancelled",
                    field="productOrder.id",
                    current_state=self.state,
                )
        if self.cancellation and self.cancellation.get("state") == "inProgress":
            raise IllegalTransition(
                "a cancellation is already waiting for the delivering provinces' answer",
                field="productOrder.id",
                current_state=self.state,
            )
        asked = [
            p for p in self.remote_provinces if WorkState(self.legs[p]["state"]) not in FINAL_WORK_STATES
        ]
        current = OrderState(self.state)
        if current not in CANCELLATION_STATES:
            self.ensure_can_move_to(OrderState.ASSESSING_CANCELLATION, field="productOrder.id")
            self._state_changed(
                from_state=self.state, to_state=S.ASSESSING_CANCELLATION.value, reason=why, at=at, by=by
            )
        if asked:
            self._cancellation_requested(reason=why, at=at, asked=asked, by=by)
        else:
            self._cancel_now(why, at, by)
        return asked

    def _cancel_now(self, why: str, at: datetime, by: Operator) -> None:
        for target in (S.PENDING_CANCELLATION, S.CANCELLED):
            if self.state != target.value:
                self._state_changed(from_state=self.state, to_state=target.value, reason=why, at=at, by=by)
        self._cancellation_recorded(reason=why, at=at, by=by)

    class CancellationRequested(Aggregate.Event):
        reason: str
        at: datetime
        asked: list[str]
        by: Operator

    @event(CancellationRequested)
    def _cancellation_requested(self, reason: str, at: datetime, asked: list[str], by: Operator) -> None:
        self.cancellation = {
            "reason": reason,
            "requestedAt": at.isoformat(),
            "state": "inProgress",
            "asked": asked,
            "answers": {},
            "by": by.as_dict(),
        }

    def answer_cancellation(
        self,
        *,
        province: str,
        accepted: bool,
        reason: str,
        at: datetime,
        calendar: WorkingCalendar,
        manager: Mapping[str, JSON] | None,
        by: Operator,
    ) -> None:
        """A delivering province answered a cancellation (relayed by HQ): done when all agreed, refused otherwise."""
        waiting = (
            self.cancellation
            if self.cancellation and self.cancellation.get("state") == "inProgress"
            else None
        )
        if waiting is None or province not in waiting["asked"] or province in waiting["answers"]:
            return  # an answer to a cancellation already settled changes nothing
        self._cancellation_answered(province=province, accepted=accepted, reason=reason, at=at, by=by)
        answers = waiting["answers"]  # the same record, answered in place
        if set(answers) != set(waiting["asked"]):
            return
        refusals = [f"{p}: {a['reason']}" for p, a in sorted(answers.items()) if not a["accepted"]]
        if not refusals:
            self._cancel_now(waiting["reason"], at, by)
            return
        self._cancellation_refused(reason="; ".join(refusals), at=at, by=by)
        target = derived_state([leg["state"] for leg in self.legs.values()])
        if target in (OrderState.COMPLETED, OrderState.PARTIAL):
            self._finish(target, calendar, manager, by)
        elif target.value != self.state:
            self._state_changed(
                from_state=self.state, to_state=target.value, reason="cancellation refused", at=at, by=by
            )

    class CancellationAnswered(Aggregate.Event):
        province: str
        accepted: bool
        reason: str
        at: datetime
        by: Operator

    @event(CancellationAnswered)
    def _cancellation_answered(
        self, province: str, accepted: bool, reason: str, at: datetime, by: Operator
    ) -> None:
        assert self.cancellation is not None  # CancellationRequested came first
        self.cancellation["answers"][province] = {
            "accepted": accepted,
            "reason": reason,
            "at": at.isoformat(),
            "by": by.as_dict(),
        }
        if accepted and WorkState(self.legs[province]["state"]) not in FINAL_WORK_STATES:
            self.legs[province]["state"] = WorkState.CANCELLED.value

    class CancellationRefused(Aggregate.Event):
        reason: str
        at: datetime
        by: Operator

    @event(CancellationRefused)
    def _cancellation_refused(self, reason: str, at: datetime, by: Operator) -> None:
        assert self.cancellation is not None  # CancellationRequested came first
        self.cancellation = {
            **self.cancellation,
            "state": "terminatedWithError",
            "refusal": reason,
            "answeredAt": at.isoformat(),
        }

    class CancellationRecorded(Aggregate.Event):
        reason: str
        at: datetime
        by: Operator

    @event(CancellationRecorded)
    def _cancellation_recorded(self, reason: str, at: datetime, by: Operator) -> None:
        asked = self.cancellation or {
            "requestedAt": at.isoformat(),
            "by": by.as_dict(),
        }  # when and by whom it was asked
        self.cancellation = {**asked, "reason": reason, "at": at.isoformat(), "state": "done"}
        for leg in self.legs.values():
            if WorkState(leg["state"]) not in FINAL_WORK_STATES:
                leg["state"] = WorkState.CANCELLED.value

    # --- callback (回访, R-17) ---------------------------------------------------------------

    def record_callback(self, result: object, satisfied: object, at: datetime, by: Operator) -> None:
        if self.completion is None:
            raise IllegalTransition(
                "an order is called back after it completes", field="result", current_state=self.state
            )
        if self.callback is not None:
            raise IllegalTransition(
                "the callback is already recorded", field="result", current_state=self.state
            )
        if not isinstance(satisfied, bool):
            raise InvalidValue("must be true or false", field="satisfied")
        self._callback_recorded(
            result=text(result, "result", max_length=MAX_TEXT), satisfied=satisfied, at=at, by=by
        )

    class CallbackRecorded(Aggregate.Event):
        result: str
        satisfied: bool
        at: datetime
        by: Operator

    @event(CallbackRecorded)
    def _callback_recorded(self, result: str, satisfied: bool, at: datetime, by: Operator) -> None:
        self.callback = {"result": result, "satisfied": satisfied, "at": at.isoformat(), "by": by.as_dict()}

    def charges(self) -> list[dict[str, Any]]:
        """What billing posts when the order finishes: per delivered item, its one-time fee less its late
        compensation and its monthly fee, each naming the province that delivered it (R-21 one-point billing)."""
        if self.completion is None:
            return []
        reference = str(self.id)
        charges = []
        for item in self.items:
            owed = self.completion["items"].get(item["id"])
            if owed is None:
                continue
            common = {
                "reference": reference,
                "offeringId": item["offeringId"],
                "orderItemId": item["id"],
                "deliveringProvince": item.get("deliveringProvince") or self.province,
            }
            less = f" less {owed['compensation']} fen late compensation" if owed["compensation"] else ""
            charges.append(
                {
                    "kind": "oneTime",
                    "amount": item["surchargedOneTimeFee"] - owed["compensation"],
                    "description": f"{item['offeringName']} one-time fee{less}",
                    **common,
                }
            )
            charges.append(
                {
                    "kind": "monthly",
                    "amount": item["monthlyFee"],
                    "description": f"{item['offeringName']} monthly fee",
                    **common,
                }
            )
        return [c for c in charges if c["amount"] > 0]


def _item(line: OrderLine, home: str, sla: SlaClass) -> dict[str, Any]:
    base = line.terms.one_time_fee * line.quantity
    item: dict[str, Any] = {
        "id": line.item_id,
        "offeringId": line.terms.id,
        "offeringName": line.terms.name,
        "circuitType": line.terms.circuit_type,
        "quantity": line.quantity,
        "oneTimeFee": base,
        "surchargedOneTimeFee": percent_of(base, SURCHARGE_PERCENT[sla]),
        "monthlyFee": line.terms.monthly_fee * line.quantity,
        "deliveringProvince": line.delivering_province or home,
    }
    if line.member:
        item["groupMember"] = line.member
    return item


def _notice(manager: Mapping[str, JSON] | None, message: str, at: datetime) -> JSONObject:
    """A notice to the customer manager (R-18); recorded on the order for the manager's worklist."""
    return {
        "to": manager["id"] if manager else None,
        "toName": manager["name"] if manager else None,
        "role": "customerManager",
        "text": message,
        "at": at.isoformat(),
    }
