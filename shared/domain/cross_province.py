"""Cross-province orders (一点受理, R-19): the home province accepts, HQ forwards, the delivering province works.

Three aggregates carry one order's cross-province traffic, one per tier it passes through; provinces never talk
to each other (R-3):
- `CrossProvinceRequest` in the home province A: what A asks of other provinces (public, up to HQ);
- `CrossProvinceOrder` at HQ: the routing record; its events are addressed (`destination`) to the one province
  that must act on them — forwarded work to B, relayed states and answers to A;
- `DeliveryLeg` in a delivering province B: the part of the order B performs; its reports go up to HQ.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.work_order import FINAL_WORK_STATES, WorkState


def request_id(order_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:cross-province-request:{order_id}")


def routing_id(order_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:cross-province-order:{order_id}")


def leg_id(order_id: str, province: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:delivery-leg:{order_id}:{province}")


class CrossProvinceRequest(Aggregate):
    """In the home province: the legs of one order that other provinces deliver, and what happens to the order."""

    @staticmethod
    def create_id(order_id: str, **_: object) -> UUID:
        return request_id(order_id)

    class Submitted(Aggregate.Created):
        order_id: str
        home: str
        customer: JSONObject
        sla_class: str
        acceptance_kind: str
        due_date: date
        accepted_at: datetime
        legs: dict[str, list[dict[str, Any]]]
        by: Operator

    @event(Submitted)
    def __init__(
        self,
        *,
        order_id: str,
        home: str,
        customer: JSONObject,
        sla_class: str,
        acceptance_kind: str,
        due_date: date,
        accepted_at: datetime,
        legs: dict[str, list[dict[str, Any]]],
        by: Operator,
    ) -> None:
        self.order_id = order_id
        self.home = home
        self.customer = customer
        self.sla_class = sla_class
        self.acceptance_kind = acceptance_kind
        self.due_date = due_date
        self.accepted_at = accepted_at
        self.legs = legs
        self.home_state = "acknowledged"
        self.home_leg = WorkState.ACKNOWLEDGED.value

    def request_cancellation(self, provinces: list[str], reason: str, at: datetime, by: Operator) -> None:
        self._cancellation_requested(order_id=self.order_id, provinces=provinces, reason=reason, at=at, by=by)

    class CancellationRequested(Aggregate.Event):
        order_id: str
        provinces: list[str]
        reason: str
        at: datetime
        by: Operator

    @event(CancellationRequested)
    def _cancellation_requested(
        self, order_id: str, provinces: list[str], reason: str, at: datetime, by: Operator
    ) -> None:
        pass

    def report_state(self, state: str, home_leg: str | None, at: datetime, by: Operator) -> None:
        """The home order's state and its own leg's, so HQ's order desk shows what the home province shows (R-26)."""
        home_leg = home_leg or self.home_leg
        if (state, home_leg) != (self.home_state, self.home_leg):
            self._home_state_changed(order_id=self.order_id, state=state, home_leg=home_leg, at=at, by=by)

    class HomeStateChanged(Aggregate.Event):
        order_id: str
        state: str
        at: datetime
        by: Operator
        home_leg: str

    @event(HomeStateChanged)
    def _home_state_changed(
        self, order_id: str, state: str, at: datetime, by: Operator, home_leg: str = ""
    ) -> None:
        self.home_state = state
        self.home_leg = home_leg or self.home_leg


class DeliveryLeg(Aggregate):
    """In a delivering province: the part of another province's order performed here, reported up as it moves."""

    @staticmethod
    def create_id(order_id: str, province: str, **_: object) -> UUID:
        return leg_id(order_id, province)

    class Received(Aggregate.Created):
        order_id: str
        province: str
        home: str
        customer: JSONObject
        items: list[JSONObject]
        sla_class: str
        due_date: date
        accepted_at: datetime
        by: Operator

    @event(Received)
    def __init__(
        self,
        *,
        order_id: str,
        province: str,
        home: str,
        customer: JSONObject,
        items: list[JSONObject],
        sla_class: str,
        due_date: date,
        accepted_at: datetime,
        by: Operator,
    ) -> None:
        self.order_id = order_id
        self.province = province
        self.home = home
        self.customer = customer
        self.items = items
        self.sla_class = sla_class
        self.due_date = due_date
        self.accepted_at = accepted_at
        self.state = WorkState.ACKNOWLEDGED.value
        self.completed_at: str | None = None
        self.cancellation: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return WorkState(self.state) not in FINAL_WORK_STATES

    def report(
        self, work_kind: str, work_state: str, leg_state: str, reason: str, at: datetime, by: Operator
    ) -> None:
        """One of this leg's work orders moved; the leg's state follows from all of them."""
        self._work_progressed(
            order_id=self.order_id,
            work_kind=work_kind,
            work_state=work_state,
            leg_state=leg_state,
            reason=reason,
            at=at,
            by=by,
        )

    class WorkProgressed(Aggregate.Event):
        order_id: str
        work_kind: str
        work_state: str
        leg_state: str
        reason: str
        at: datetime
        by: Operator

    @event(WorkProgressed)
    def _work_progressed(
        self,
        order_id: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        by: Operator,
    ) -> None:
        self.state = leg_state
        if leg_state == WorkState.COMPLETED.value:
            self.completed_at = at.isoformat()

    def answer_cancellation(self, at: datetime, by: Operator) -> bool:
        """Work already delivered is not undone: a completed leg refuses; any other agrees (its open work is
        cancelled by the caller). Returns whether the cancellation was accepted."""
        accepted = self.state != WorkState.COMPLETED.value
        if not accepted:
            reason = f"{self.province} completed the work at {self.completed_at}"
        elif self.is_open:
            reason = "cancelled before completion"
        else:
            reason = f"nothing left to cancel: the work was {self.state}"
        self._cancellation_answered(order_id=self.order_id, accepted=accepted, reason=reason, at=at, by=by)
        return accepted

    class CancellationAnswered(Aggregate.Event):
        order_id: str
        accepted: bool
        reason: str
        at: datetime
        by: Operator

    @event(CancellationAnswered)
    def _cancellation_answered(
        self, order_id: str, accepted: bool, reason: str, at: datetime, by: Operator
    ) -> None:
        self.cancellation = {"accepted": accepted, "reason": reason, "at": at.isoformat()}


class CrossProvinceOrder(Aggregate):
    """HQ's routing record of one cross-province order (the cross-province order desk, R-26).

    Addressed events carry `destination`: HQ's log serves each province only what is addressed to it.
    """

    @staticmethod
    def create_id(order_id: str, **_: object) -> UUID:
        return routing_id(order_id)

    @classmethod
    def open(
        cls, request: CrossProvinceRequest.Submitted, routes: set[str], by: Operator
    ) -> CrossProvinceOrder:
        """Record a home province's request and forward each leg to its province; a province HQ has no route to
        is refused at once, the refusal relayed home."""
        order = cls(
            order_id=request.order_id,
            home=request.home,
            customer=request.customer,
            sla_class=request.sla_class,
            due_date=request.due_date,
            accepted_at=request.accepted_at,
            legs={p: {"items": items} for p, items in request.legs.items()},
            by=by,
        )
        for province, items in sorted(request.legs.items()):
            if province == request.home:
                continue  # delivered at home: HQ only shows it
            if province in routes:
                order._forwarded(
                    destination=province,
                    order_id=request.order_id,
                    home=request.home,
                    customer=request.customer,
                    items=items,
                    sla_class=request.sla_class,
                    acceptance_kind=request.acceptance_kind,
                    due_date=request.due_date,
                    accepted_at=request.accepted_at,
                    by=by,
                )
            else:
                order.relay_progress(
                    province,
                    "resourceConfirmation",
                    WorkState.REJECTED.value,
                    WorkState.REJECTED.value,
                    f"HQ has no route to province {province}",
                    request.accepted_at,
                    by,
                )
        return order

    class Opened(Aggregate.Created):
        order_id: str
        home: str
        customer: JSONObject
        sla_class: str
        due_date: date
        accepted_at: datetime
        legs: dict[str, dict[str, Any]]
        by: Operator

    @event(Opened)
    def __init__(
        self,
        *,
        order_id: str,
        home: str,
        customer: JSONObject,
        sla_class: str,
        due_date: date,
        accepted_at: datetime,
        legs: dict[str, dict[str, Any]],
        by: Operator,
    ) -> None:
        self.order_id = order_id
        self.home = home
        self.customer = customer
        self.sla_class = sla_class
        self.due_date = due_date
        self.accepted_at = accepted_at
        self.legs = {
            p: {
                **leg,
                "state": WorkState.ACKNOWLEDGED.value,
                "reason": "",
                "forwarded": False,
                "updatedAt": accepted_at.isoformat(),
                "work": [],
            }
            for p, leg in legs.items()
        }
        self.home_state = "acknowledged"
        self.home_state_at = accepted_at.isoformat()
        self.cancellation: dict[str, Any] | None = None

    class Forwarded(Aggregate.Event):
        destination: str
        order_id: str
        home: str
        customer: JSONObject
        items: list[JSONObject]
        sla_class: str
        acceptance_kind: str
        due_date: date
        accepted_at: datetime
        by: Operator

    @event(Forwarded)
    def _forwarded(
        self,
        destination: str,
        order_id: str,
        home: str,
        customer: JSONObject,
        items: list[JSONObject],
        sla_class: str,
        acceptance_kind: str,
        due_date: date,
        accepted_at: datetime,
        by: Operator,
    ) -> None:
        self.legs[destination]["forwarded"] = True

    def relay_progress(
        self,
        province: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        by: Operator,
    ) -> None:
        """A delivering province's work moved: relayed to the home province, in the order it happened."""
        self._leg_progressed(
            destination=self.home,
            order_id=self.order_id,
            province=province,
            work_kind=work_kind,
            work_state=work_state,
            leg_state=leg_state,
            reason=reason,
            at=at,
            by=by,
        )

    class LegProgressed(Aggregate.Event):
        destination: str
        order_id: str
        province: str
        work_kind: str
        work_state: str
        leg_state: str
        reason: str
        at: datetime
        by: Operator

    @event(LegProgressed)
    def _leg_progressed(
        self,
        destination: str,
        order_id: str,
        province: str,
        work_kind: str,
        work_state: str,
        leg_state: str,
        reason: str,
        at: datetime,
        by: Operator,
    ) -> None:
        leg = self.legs[province]
        leg["state"] = leg_state
        leg["updatedAt"] = at.isoformat()
        if leg_state in (WorkState.REJECTED.value, WorkState.FAILED.value):
            leg["reason"] = reason
        leg["work"].append(
            {"workKind": work_kind, "state": work_state, "reason": reason, "at": at.isoformat()}
        )

    def forward_cancellation(self, provinces: list[str], reason: str, at: datetime, by: Operator) -> None:
        """Each delivering province decides for its own work; for a leg HQ never forwarded (no route) HQ answers
        itself, so the home province never waits for a province that knows nothing of the order."""
        for province in provinces:
            if province not in self.legs:
                continue
            if self.legs[province]["forwarded"]:
                self._cancellation_forwarded(
                    destination=province, order_id=self.order_id, reason=reason, at=at, by=by
                )
            else:
                self.relay_cancellation_answer(
                    province, True, f"never forwarded to {province}: nothing to cancel", at, by
                )

    class CancellationForwarded(Aggregate.Event):
        destination: str
        order_id: str
        reason: str
        at: datetime
        by: Operator

    @event(CancellationForwarded)
    def _cancellation_forwarded(
        self, destination: str, order_id: str, reason: str, at: datetime, by: Operator
    ) -> None:
        self.cancellation = {"reason": reason, "requestedAt": at.isoformat(), "answers": {}}

    def relay_cancellation_answer(
        self, province: str, accepted: bool, reason: str, at: datetime, by: Operator
    ) -> None:
        self._cancellation_answered(
            destination=self.home,
            order_id=self.order_id,
            province=province,
            accepted=accepted,
            reason=reason,
            at=at,
            by=by,
        )

    class CancellationAnswered(Aggregate.Event):
        destination: str
        order_id: str
        province: str
        accepted: bool
        reason: str
        at: datetime
        by: Operator

    @event(CancellationAnswered)
    def _cancellation_answered(
        self,
        destination: str,
        order_id: str,
        province: str,
        accepted: bool,
        reason: str,
        at: datetime,
        by: Operator,
    ) -> None:
        if self.cancellation is not None:
            self.cancellation["answers"][province] = {
                "accepted": accepted,
                "reason": reason,
                "at": at.isoformat(),
            }

    def record_home_state(self, state: str, home_leg: str, at: datetime, by: Operator) -> None:
        self._home_state_reported(order_id=self.order_id, state=state, home_leg=home_leg, at=at, by=by)

    class HomeStateReported(Aggregate.Event):
        order_id: str
        state: str
        at: datetime
        by: Operator
        home_leg: str

    @event(HomeStateReported)
    def _home_state_reported(
        self, order_id: str, state: str, at: datetime, by: Operator, home_leg: str = ""
    ) -> None:
        self.home_state = state
        self.home_state_at = at.isoformat()
        if home_leg and self.home in self.legs:
            self.legs[self.home].update(state=home_leg, updatedAt=at.isoformat())
