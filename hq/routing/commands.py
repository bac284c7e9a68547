"""HQ as the forwarding centre of cross-province business (业务管理和转发的中心, R-3, R-19) and its order desk (R-26).

HQ follows every province. A home province's `CrossProvinceRequest` opens a `CrossProvinceOrder` here, which
forwards each leg to its delivering province; that province's `DeliveryLeg` reports are relayed to the home
province, each in the same transaction as the tracking record of the batch that brought it (exactly once).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from shared.application import CrmApplication
from shared.domain.calendar import business_date
from shared.domain.cross_province import CrossProvinceOrder, CrossProvinceRequest, DeliveryLeg, routing_id
from shared.domain.json_types import JSONObject
from shared.domain.operator import SYSTEM
from shared.domain.order import FINAL_STATES, OrderState
from shared.domain.route_table import ROUTE_TABLE_ID, RouteTable
from shared.persistence.queries import Filter, Page, equal

log = logging.getLogger(__name__)


class RoutingCommands:
    """HQ's routing records of cross-province orders: opened and relayed from the provinces' events, read by the desk."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def follow(self, codes: set[str]) -> None:
        """HQ routes to the provinces it follows: when that set changes, so does its route table (an event every
        province receives). Nothing is recorded before HQ follows any province."""
        if (
            not codes
        ):  # an HQ started without its upstreams routes as it did: an empty table would stop every order
            return
        table = self.store.find(RouteTable, ROUTE_TABLE_ID)
        if table is None:
            table = RouteTable(provinces=sorted(codes), by=SYSTEM)
        else:
            dropped = sorted(set(table.provinces) - set(codes))
            if dropped:
                log.warning(
                    "HQ no longer follows %s: provinces now refuse order items delivered there (add them "
                    "to HQ's upstreams again if that was not meant)",
                    ", ".join(dropped),
                )
            table.follow(codes, SYSTEM)
        if table.pending_events:
            self.store.record(table)

    # --- inside a replicated batch's unit of work ---------------------------------------------------

    def open_order(self, e: CrossProvinceRequest.Submitted) -> None:
        """A home province accepted an order others deliver: its routing record forwards each leg."""
        self.store.created(CrossProvinceOrder.open(e, self.store.peers, e.by))

    def forward_cancellation(self, e: CrossProvinceRequest.CancellationRequested) -> None:
        self._order(e.order_id).forward_cancellation(e.provinces, e.reason, e.at, e.by)

    def record_home_state(self, e: CrossProvinceRequest.HomeStateChanged) -> None:
        # `home_leg` is absent from the events recorded before it was carried
        self._order(e.order_id).record_home_state(e.state, getattr(e, "home_leg", ""), e.at, e.by)

    def relay_progress(self, upstream: str, e: DeliveryLeg.WorkProgressed) -> None:
        self._order(e.order_id).relay_progress(
            upstream, e.work_kind, e.work_state, e.leg_state, e.reason, e.at, e.by
        )

    def relay_cancellation_answer(self, upstream: str, e: DeliveryLeg.CancellationAnswered) -> None:
        self._order(e.order_id).relay_cancellation_answer(upstream, e.accepted, e.reason, e.at, e.by)

    def _order(self, order_id: str) -> CrossProvinceOrder:
        order: CrossProvinceOrder = self.store.load(CrossProvinceOrder, routing_id(order_id))
        return order

    # --- the order desk ------------------------------------------------------------------------------

    def list_cross_province_orders(
        self,
        *,
        home: str | None = None,
        delivering: str | None = None,
        state: str | None = None,
        overdue: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(("home", home), ("state", state))
        if delivering is not None:
            legs = self.store.schema.physical("cross_province_leg")
            filters.append(Filter(f"id IN (SELECT order_id FROM {legs} WHERE province = ?)", (delivering,)))
        today = self._today()
        if overdue is not None:
            late = "(due_date < ? AND is_final = 0)"
            filters.append(Filter(late if overdue else f"NOT {late}", (today.isoformat(),)))
        page = self.store.queries.page(
            "cross_province_order", filters, offset=offset, limit=limit, order_by="accepted_at, id"
        )
        return Page(total=page.total, items=[self._with_age(doc, today) for doc in page.items])

    def get_cross_province_order(self, order_id: str) -> JSONObject:
        return self._with_age(
            self.store.document("cross_province_order", order_id, "cross-province order"), self._today()
        )

    def _today(self) -> date:
        return business_date(self.store.clock())

    @staticmethod
    def _with_age(doc: dict[str, Any], today: date) -> JSONObject:
        """Age and lateness are as of today, so they are worked out when asked, not stored."""
        accepted = business_date(datetime.fromisoformat(doc["orderDate"]))
        due = date.fromisoformat(doc["dueDate"])
        open_ = OrderState(doc["state"]) not in FINAL_STATES
        return {**doc, "ageDays": (today - accepted).days, "overdue": open_ and due < today}
