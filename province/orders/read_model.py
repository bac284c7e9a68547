"""The order read model: product orders and their cancellations."""

from __future__ import annotations

from province.orders.documents import cancellation_document, cancellation_id, order_document, utc
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.order import FINAL_STATES, OrderState, ProductOrder
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "product_order",
        (
            ("state", "TEXT"),
            ("customer_id", "TEXT"),
            ("sla_class", "TEXT"),
            ("due_date", "TEXT"),
            ("is_final", "BIGINT"),
            ("completed_at", "TEXT"),
            ("callback_due", "TEXT"),
            ("callback_at", "TEXT"),
            ("created_at", "TEXT"),
            ("cross_province", "BIGINT"),
        ),
        indexes=("state", "customer_id", "due_date", "callback_due"),
        personal=True,  # an item for a group member names the member's phone number
    ),
    Table("cancel_product_order", (("order_id", "TEXT"), ("created_at", "TEXT")), indexes=("order_id",)),
)


def project_order(o: ProductOrder) -> list[Operation]:
    operations: list[Operation] = [
        Upsert(
            "product_order",
            {
                "id": str(o.id),
                "state": o.state,
                "customer_id": o.customer_id,
                "sla_class": o.sla_class,
                "due_date": o.due_date.isoformat(),
                "is_final": 1 if OrderState(o.state) in FINAL_STATES else 0,
                "completed_at": o.completion["at"] if o.completion else None,
                "callback_due": o.completion["callbackDue"] if o.completion else None,
                "callback_at": o.callback["at"] if o.callback else None,
                "created_at": utc(o.accepted_at),
                "cross_province": 1 if o.is_cross_province else 0,
                "doc": order_document(o),
            },
        )
    ]
    if o.cancellation:
        operations.append(
            Upsert(
                "cancel_product_order",
                {
                    "id": cancellation_id(o),
                    "order_id": str(o.id),
                    "created_at": o.cancellation.get("requestedAt") or o.cancellation["at"],
                    "doc": cancellation_document(o),
                },
            )
        )
    return operations


PROJECTORS = {ProductOrder: project_order}

AUDITED = (AuditedResource("productOrder", (ProductOrder,), P.READ_ORDERS),)
