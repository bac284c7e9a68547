"""Work orders (工单, TMF641): a leg's staff move them; the leg's owner follows.

Local work drives this province's own order; work delivered here for another province's order (R-19) drives
its `DeliveryLeg`, whose reports go up to HQ and on to the home province.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from province.order_documents import work_order_document
from shared.application import retried
from shared.domain.cross_province import DeliveryLeg, leg_id
from shared.domain.operator import Operator
from shared.domain.order import ProductOrder
from shared.domain.values import MAX_TEXT, only_fields, text
from shared.domain.work_order import WorkOrder, WorkState, advance, leg_state, parse_work_state
from shared.persistence.queries import Page, equal


class WorkOrderCommands:
    """Mixed into the province application."""

    @retried
    def change_work_order(self, work_id: str, patch: dict[str, Any], by: Operator) -> dict[str, Any]:
        only_fields(patch, {"state", "stateReason"})
        target = parse_work_state(patch.get("state"))
        reason = text(patch.get("stateReason"), "stateReason", max_length=MAX_TEXT, required=False)
        with self.batch() as batch:
            work: WorkOrder = self.load(WorkOrder, work_id)
            if target is WorkState(work.state):
                work.repeat(reason)
                return work_order_document(work)
            leg = self.work_orders_of(work.order_id, work.province)
            now = self.clock()
            if work.is_remote:
                delivery: DeliveryLeg = self.load(DeliveryLeg, leg_id(str(work.order_id), work.province))
                advance(work, leg, target, reason, now, by)
                delivery.report(
                    work.kind, target.value, leg_state(w.state for w in leg).value, reason, now, by
                )
            else:
                order: ProductOrder = self.load(ProductOrder, work.order_id)
                self.ensure_order_accepts_work(order)
                advance(work, leg, target, reason, now, by)
                self.leg_moved(
                    order,
                    province=work.province,
                    work_kind=work.kind,
                    work_state=target.value,
                    leg_state=leg_state(w.state for w in leg).value,
                    reason=reason,
                    at=now,
                    by=by,
                )
            self.record(*batch.changed())
        return work_order_document(work)

    def work_orders_of(self, order_id: UUID, province: str) -> list[WorkOrder]:
        """One leg's work orders in sequence: recorded ones, and those the current unit of work created."""
        rows = self.queries.rows("SELECT id FROM {work_order} WHERE order_id = ?", [str(order_id)])
        found = {w.id: w for w in self.in_batch(WorkOrder) if w.order_id == order_id}
        found.update(
            (w.id, w) for w in (self.load(WorkOrder, row["id"]) for row in rows) if w.id not in found
        )
        return sorted((w for w in found.values() if w.province == province), key=lambda w: w.sequence)

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
        return self.queries.page(
            "work_order", filters, offset=offset, limit=limit, order_by="order_id, sequence"
        )

    def get_work_order(self, work_id: str) -> dict[str, Any]:
        return self.document("work_order", work_id, "service order")
