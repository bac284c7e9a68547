"""What a province does with HQ's work-order channel (R-2, R-19): forwarded work and cancellations when it
delivers, relayed states and answers when it is the home province.

Each handler runs inside the replicated batch's unit of work (`CrmApplication.batch`): the aggregates it loads
or creates are saved together with the batch's tracking record, exactly once. A record about an order or leg this
province does not hold (lost in a restore) raises `NotHeld` before anything changed: it becomes an orphan.
"""

from __future__ import annotations

from uuid import UUID

from province.billing import BillingCommands
from province.orders import OrderCommands
from province.orphans import OrphanRecords
from province.work_orders import WorkOrderCommands
from shared.application import CrmApplication
from shared.domain.calendar import WorkingCalendar
from shared.domain.cross_province import CrossProvinceOrder, DeliveryLeg, leg_id
from shared.domain.order import OrderState, ProductOrder
from shared.domain.work_order import WorkOrder, WorkState, close_open, leg_state


class CrossProvinceCommands:
    """HQ's work-order channel as this province applies it: the node's policy hands each record to one of these."""

    def __init__(
        self,
        store: CrmApplication,
        calendar: WorkingCalendar,
        *,
        orders: OrderCommands,
        work_orders: WorkOrderCommands,
        billing: BillingCommands,
        orphans: OrphanRecords,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.orders = orders
        self.work_orders = work_orders
        self.billing = billing
        self.orphans = orphans

    # --- as the delivering province ---------------------------------------------------------------

    def receive_leg(self, e: CrossProvinceOrder.Forwarded) -> None:
        """Work forwarded from another province's order: a leg with the same three work orders as local work.
        Forwarded again (HQ re-forwarding after its own restore, say), the leg held here stays as it is."""
        here = self.store.settings.node_code
        if self.store.find(DeliveryLeg, leg_id(e.order_id, here)) is not None:
            return
        leg = DeliveryLeg(
            order_id=e.order_id,
            province=here,
            home=e.home,
            customer=e.customer,
            items=e.items,
            sla_class=e.sla_class,
            due_date=e.due_date,
            accepted_at=e.accepted_at,
            by=e.by,
        )
        work = WorkOrder.split(
            UUID(e.order_id), here, e.by, home_province=e.home, customer=e.customer, items=e.items
        )
        self.store.created(leg, *work)

    def answer_cancellation(self, e: CrossProvinceOrder.CancellationForwarded) -> None:
        """The home province cancels: unfinished work stops here; work already delivered is not undone."""
        here = self.store.settings.node_code
        leg: DeliveryLeg = self.orphans.held(DeliveryLeg, leg_id(e.order_id, here), e.order_id)
        now = self.store.clock()
        if leg.is_open:
            work = self.work_orders.work_orders_of(UUID(e.order_id), here)
            for closed in close_open(work, f"cancelled by {leg.home}: {e.reason}", now, e.by):
                leg.report(
                    closed.kind,
                    WorkState.CANCELLED.value,
                    leg_state(w.state for w in work).value,
                    e.reason,
                    now,
                    e.by,
                )
        leg.answer_cancellation(now, e.by)

    # --- as the home province -----------------------------------------------------------------------

    def follow_relayed_progress(self, e: CrossProvinceOrder.LegProgressed) -> None:
        order: ProductOrder = self.orphans.held(ProductOrder, e.order_id)
        self.orders.leg_moved(
            order,
            province=e.province,
            work_kind=e.work_kind,
            work_state=e.work_state,
            leg_state=e.leg_state,
            reason=e.reason,
            at=e.at,
            by=e.by,
        )

    def follow_relayed_answer(self, e: CrossProvinceOrder.CancellationAnswered) -> None:
        order: ProductOrder = self.orphans.held(ProductOrder, e.order_id)
        was_finished = order.completion is not None
        order.answer_cancellation(
            province=e.province,
            accepted=e.accepted,
            reason=e.reason,
            at=e.at,
            calendar=self.calendar,
            manager=self.orders.manager_of(order),
            by=e.by,
        )
        if order.completion is not None and not was_finished:  # refused by a province that had delivered
            self.billing.charges_for_completed_order(order, e.by)
        if order.state == OrderState.CANCELLED.value:
            self.orders.close_local_work(order, "order cancelled", e.at, e.by)
        self.orders.report_home_state(order, e.at, e.by)
