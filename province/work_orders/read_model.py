"""The work-order read model, and the query for one leg's work orders."""

from __future__ import annotations

from uuid import UUID

from province.work_orders.documents import work_order_document
from shared.application import CrmApplication
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.work_order import WorkOrder
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "work_order",
        (
            ("state", "TEXT"),
            ("order_id", "TEXT"),
            ("kind", "TEXT"),
            ("sequence", "BIGINT"),
            ("home_province", "TEXT"),
        ),
        indexes=("order_id", "state", "home_province"),
        personal=True,
    ),
)


def project_work_order(w: WorkOrder) -> list[Operation]:
    return [
        Upsert(
            "work_order",
            {
                "id": str(w.id),
                "state": w.state,
                "order_id": str(w.order_id),
                "kind": w.kind,
                "sequence": w.sequence,
                "home_province": w.home_province,
                "doc": work_order_document(w),
            },
        )
    ]


PROJECTORS = {WorkOrder: project_work_order}

AUDITED = (AuditedResource("serviceOrder", (WorkOrder,), P.READ_ORDERS),)


def work_orders_of(store: CrmApplication, order_id: UUID, province: str) -> list[WorkOrder]:
    """One leg's work orders in sequence: recorded ones, and those the current unit of work created."""
    rows = store.queries.rows("SELECT id FROM {work_order} WHERE order_id = ?", [str(order_id)])
    found = {w.id: w for w in store.in_batch(WorkOrder) if w.order_id == order_id}
    found.update((w.id, w) for w in (store.load(WorkOrder, row["id"]) for row in rows) if w.id not in found)
    return sorted((w for w in found.values() if w.province == province), key=lambda w: w.sequence)
