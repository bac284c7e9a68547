"""Work orders (工单, TMF641): a leg's staff move them; the leg's owner follows.

Local work drives this province's own order; work delivered here for another province's order (R-19) drives
its `DeliveryLeg`, whose reports go up to HQ and on to the home province.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from province.work_orders.documents import work_order_document
from province.work_orders.read_model import work_orders_of
from province.work_orders.schemas import WorkOrderPatch
from shared.application import CrmApplication, retried
from shared.domain.cross_province import DeliveryLeg, leg_id
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.order import ProductOrder
from shared.domain.values import MAX_TEXT, text
from shared.domain.work_order import WorkOrder, WorkState, advance, leg_state, parse_work_state
from shared.persistence.queries import Page, equal

if TYPE_CHECKING:  # orders read this area's work orders (read_model), and this area moves orders
    from province.orders import OrderCommands


class WorkOrderCommands:
    """The work of each leg delivered here: its staff move it; the leg's owner (an order here, or a delivery leg
    for another province's order) follows."""

    def __init__(self, store: CrmApplication, *, orders: OrderCommands) -> None:
        self.store = store
        self.orders = orders

    @retried
    def change_work_order(self, work_id: str, patch: WorkOrderPatch, by: Operator) -> JSONObject:
        # the TMF state list is wider than a work order's: the states it cannot take are a 400 naming state
        target = parse_work_state(patch.state)
        # the schema bounds the length; text() trims it, makes blank "" and refuses control characters
        reason = text(patch.stateReason, "stateReason", max_length=MAX_TEXT, required=False)
        with self.store.batch() as batch:
            work: WorkOrder = self.store.load(WorkOrder, work_id)
            if target is WorkState(work.state):
                work.repeat(reason)
                return work_order_document(work)
            leg = self.work_orders_of(work.order_id, work.province)
            now = self.store.clock()
            if work.is_remote:
                delivery: DeliveryLeg = self.store.load(
                    DeliveryLeg, leg_id(str(work.order_id), work.province)
                )
                advance(work, leg, target, reason, now, by)
                delivery.report(
                    work.kind, target.value, leg_state(w.state for w in leg).value, reason, now, by
                )
            else:
                order: ProductOrder = self.store.load(ProductOrder, work.order_id)
                self.orders.ensure_order_accepts_work(order)
                advance(work, leg, target, reason, now, by)
                self.orders.leg_moved(
                    order,
                    province=work.province,
                    work_kind=work.kind,
                    work_state=target.value,
                    leg_state=leg_state(w.state for w in leg).value,
                    reason=reason,
                    at=now,
                    by=by,
                )
            self.store.record(*batch.changed())
        return work_order_document(work)

    def work_orders_of(self, order_id: UUID, province: str) -> list[WorkOrder]:
        """One leg's work orders in sequence, as the current unit of work holds them."""
        return work_orders_of(self.store, order_id, province)

    def list_work_orders(
        self,
        *,
        state: str | None = None,
        order_id: str | None = None,
        kind: str | None = None,
        home_province: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(
            ("state", state), ("order_id", order_id), ("kind", kind), ("home_province", home_province)
        )
        return self.store.queries.page(
            "work_order", filters, offset=offset, limit=limit, order_by="order_id, sequence"
        )

    def get_work_order(self, work_id: str) -> JSONObject:
        return self.store.document("work_order", work_id, "service order")
