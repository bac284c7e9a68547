"""The order desk's read model: one row per cross-province order, one per leg; and its audit surface."""

from __future__ import annotations

from hq.routing.documents import desk_document
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.cross_province import CrossProvinceOrder, routing_id
from shared.domain.order import FINAL_STATES
from shared.persistence.readmodel import Operation, ReplaceChildren, Table, Upsert

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
AUDITED = (AuditedResource("productOrder", (CrossProvinceOrder,), P.READ_NATIONAL, routing_id),)
