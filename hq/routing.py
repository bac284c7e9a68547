"""HQ as the forwarding centre of cross-province business (业务管理和转发的中心, R-3, R-19) and its order desk (R-26).

HQ follows every province. A home province's `CrossProvinceRequest` opens a `CrossProvinceOrder` here, which
forwards each leg to its delivering province; that province's `DeliveryLeg` reports are relayed to the home
province, each in the same transaction as the tracking record of the batch that brought it (exactly once).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from shared.domain.calendar import business_date
from shared.domain.cross_province import CrossProvinceOrder, routing_id
from shared.domain.operator import SYSTEM
from shared.domain.order import FINAL_STATES, OrderState
from shared.domain.route_table import ROUTE_TABLE_ID, RouteTable
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Operation, ReplaceChildren, Table, Upsert

BASE = "/tmf-api/productOrderingManagement/v4/productOrder"
TOPIC_PREFIX = "shared.domain.cross_province:"
FINAL = frozenset(s.value for s in FINAL_STATES)

TABLES = (
    Table(
        "cross_province_order",
        (
            ("home", "TEXT"),
            ("state", "TEXT"),
            ("due_date", "TEXT"),
            ("is_final", "BIGINT"),
            ("accepted_at", "TEXT"),
        ),
        indexes=("home", "state", "due_date"),
    ),
    Table(
        "cross_province_leg",
        (("order_id", "TEXT"), ("province", "TEXT"), ("state", "TEXT")),
        parent="order_id",
        indexes=("province",),
    ),
)


def desk_document(o: CrossProvinceOrder) -> dict[str, Any]:
    """A cross-province order as HQ's desk shows it: route, each item's delivering province and state."""
    items = [
        {
            "id": i["id"],
            "quantity": i["quantity"],
            "action": "add",
            "state": leg["state"],
            "productOffering": {"id": i["offeringId"], "name": i["offeringName"]},
            "deliveringProvince": province,
            **({"stateReason": leg["reason"]} if leg["reason"] else {}),
        }
        for province, leg in o.legs.items()
        for i in leg["items"]
    ]
    doc = {
        "id": o.order_id,
        "href": f"{BASE}/{o.order_id}",
        "@type": "ProductOrder",
        "state": o.home_state,
        "stateChangeDate": o.home_state_at,
        "homeProvince": o.home,
        "deliveringProvinces": sorted(o.legs),
        "orderDate": o.accepted_at.isoformat(),
        "dueDate": o.due_date.isoformat(),
        "slaClass": o.sla_class,
        "relatedParty": [
            {
                "id": o.customer["id"],
                "name": o.customer["name"],
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
        "productOrderItem": items,
        "legs": [
            {
                "deliveringProvince": p,
                "state": leg["state"],
                "stateReason": leg["reason"] or None,
                "forwarded": leg["forwarded"],
                "lastUpdate": leg["updatedAt"],
                "workHistory": leg["work"],
            }
            for p, leg in o.legs.items()
        ],
        "cancellation": o.cancellation,
        "version": o.version,
    }
    return {k: v for k, v in doc.items() if v is not None}


def project_route(o: CrossProvinceOrder) -> list[Operation]:
    return [
        Upsert(
            "cross_province_order",
            {
                "id": o.order_id,
                "home": o.home,
                "state": o.home_state,
                "due_date": o.due_date.isoformat(),
                "is_final": 1 if o.home_state in FINAL else 0,
                "accepted_at": o.accepted_at.isoformat(),
                "doc": desk_document(o),
            },
        ),
        ReplaceChildren(
            "cross_province_leg",
            o.order_id,
            tuple(
                {
                    "id": f"{o.order_id}:{p}",
                    "order_id": o.order_id,
                    "province": p,
                    "state": leg["state"],
                    "doc": {"province": p, "state": leg["state"]},
                }
                for p, leg in o.legs.items()
            ),
        ),
    ]


PROJECTORS = {CrossProvinceOrder: project_route}


def is_cross_province(topic: str) -> bool:
    return topic.startswith(TOPIC_PREFIX)


log = logging.getLogger(__name__)


class Routing:
    """Mixed into the HQ application."""

    def follow_upstreams(self, codes: set[str]) -> None:
        """HQ routes to the provinces it follows: when that set changes, so does its route table (an event every
        province receives). Nothing is recorded before HQ follows any province."""
        super().follow_upstreams(codes)  # type: ignore[misc]
        if (
            not codes
        ):  # an HQ started without its upstreams routes as it did: an empty table would stop every order
            return
        table = self.find(RouteTable, ROUTE_TABLE_ID)
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
            self.record(table)

    def route(self, upstream: str, e: Any) -> None:
        """One province's cross-province record, inside the replicated batch's unit of work."""
        name = type(e).__qualname__
        if name == "CrossProvinceRequest.Submitted":
            self.created(CrossProvinceOrder.open(e, self.peers, e.by))
            return
        order: CrossProvinceOrder = self.load(CrossProvinceOrder, routing_id(e.order_id))
        if name == "CrossProvinceRequest.CancellationRequested":
            order.forward_cancellation(e.provinces, e.reason, e.at, e.by)
        elif name == "CrossProvinceRequest.HomeStateChanged":
            order.record_home_state(e.state, getattr(e, "home_leg", ""), e.at, e.by)
        elif name == "DeliveryLeg.WorkProgressed":
            order.relay_progress(upstream, e.work_kind, e.work_state, e.leg_state, e.reason, e.at, e.by)
        elif name == "DeliveryLeg.CancellationAnswered":
            order.relay_cancellation_answer(upstream, e.accepted, e.reason, e.at, e.by)
        # DeliveryLeg.Received: the leg arrived; its first move is what the home province needs

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
            legs = self.schema.physical("cross_province_leg")
            filters.append(Filter(f"id IN (SELECT order_id FROM {legs} WHERE province = ?)", (delivering,)))
        today = self._today()
        if overdue is not None:
            late = "(due_date < ? AND is_final = 0)"
            filters.append(Filter(late if overdue else f"NOT {late}", (today.isoformat(),)))
        page = self.queries.page(
            "cross_province_order", filters, offset=offset, limit=limit, order_by="accepted_at, id"
        )
        return Page(total=page.total, items=[self._with_age(doc, today) for doc in page.items])

    def get_cross_province_order(self, order_id: str) -> dict[str, Any]:
        return self._with_age(
            self.document("cross_province_order", order_id, "cross-province order"), self._today()
        )

    def _today(self) -> date:
        return business_date(self.clock())

    @staticmethod
    def _with_age(doc: dict[str, Any], today: date) -> dict[str, Any]:
        """Age and lateness are as of today, so they are worked out when asked, not stored."""
        accepted = business_date(datetime.fromisoformat(doc["orderDate"]))
        due = date.fromisoformat(doc["dueDate"])
        open_ = OrderState(doc["state"]) not in FINAL_STATES
        return {**doc, "ageDays": (today - accepted).days, "overdue": open_ and due < today}
