"""Orders and work orders as TMF documents (TMF622, TMF641) and their read-model tables."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from shared.api.documents import money
from shared.domain.order import FINAL_STATES, OrderState, ProductOrder
from shared.domain.work_order import WorkOrder
from shared.persistence.readmodel import Operation, Table, Upsert

ORDER_BASE = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL_BASE = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
WORK_BASE = "/tmf-api/serviceOrdering/v4/serviceOrder"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
OFFERING_BASE = "/tmf-api/productCatalogManagement/v4/productOffering"

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


def utc(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat()


def cancellation_id(order: ProductOrder) -> str:
    return str(uuid5(NAMESPACE_URL, f"crm:cancel-product-order:{order.id}"))


def _item_document(o: ProductOrder, i: dict[str, Any]) -> dict[str, Any]:
    province = i.get("deliveringProvince") or o.province
    leg = o.legs[province]
    item = {
        "id": i["id"],
        "action": i.get("action", "add"),
        "quantity": i["quantity"],
        "state": leg["state"],
        "productOffering": {
            "id": i["offeringId"],
            "name": i["offeringName"],
            "href": f"{OFFERING_BASE}/{i['offeringId']}",
        },
        "itemPrice": [
            {
                "name": "one-time fee",
                "priceType": "oneTime",
                "price": {"taxIncludedAmount": money(i["surchargedOneTimeFee"])},
            },
            {
                "name": "monthly fee",
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "price": {"taxIncludedAmount": money(i["monthlyFee"])},
            },
        ],
        "circuitType": i["circuitType"],
        "listOneTimeFee": money(i["oneTimeFee"]),
        "deliveringProvince": province,
        "stateReason": leg["reason"] or None,
        "groupMember": i.get("groupMember"),
    }
    owed = (o.completion or {}).get("items", {}).get(i["id"])
    if owed:
        item["compensation"] = money(owed["compensation"])
    return {k: v for k, v in item.items() if v is not None or k == "circuitType"}


def _legs_document(o: ProductOrder) -> list[dict[str, Any]]:
    """Per delivering province: its state, the reason it gave, and each of its work orders' moves in order."""
    return [
        {
            "deliveringProvince": p,
            "state": leg["state"],
            "stateReason": leg["reason"] or None,
            "completionDate": leg["completedAt"],
            "workHistory": leg["work"],
        }
        for p, leg in o.legs.items()
    ]


def order_document(o: ProductOrder) -> dict[str, Any]:
    """TMF622 ProductOrder with our extensions (slaClass, dueDate, acceptanceKind, legs, compensation, …)."""
    provinces = list(o.legs)
    doc: dict[str, Any] = {
        "id": str(o.id),
        "href": f"{ORDER_BASE}/{o.id}",
        "@type": "ProductOrder",
        "state": o.state,
        "orderDate": utc(o.accepted_at),
        "description": o.description or None,
        "relatedParty": [
            {
                "id": o.customer_id,
                "name": o.customer_name,
                "role": "customer",
                "href": f"{CUSTOMER_BASE}/{o.customer_id}",
                "@referredType": "Customer",
            }
        ],
        "productOrderItem": [_item_document(o, i) for i in o.items],
        "orderTotalPrice": [
            {
                "name": "one-time total",
                "priceType": "oneTime",
                "price": {"taxIncludedAmount": money(o.one_time_fee)},
            },
            {
                "name": "monthly total",
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "price": {"taxIncludedAmount": money(o.monthly_fee)},
            },
        ],
        "acceptanceKind": o.acceptance_kind,
        "slaClass": o.sla_class,
        "dueDate": o.due_date.isoformat(),
        "homeProvince": o.province,
        "deliveringProvince": provinces[0] if len(provinces) == 1 else None,
        "deliveringProvinces": provinces,
        "crossProvince": o.is_cross_province,
        "legs": _legs_document(o),
        "acceptedThrough": o.channel,
        "stateHistory": o.history,
        "notices": o.notices or None,
        "version": o.version,
    }
    if o.completion:
        doc["completionDate"] = o.completion["at"]
        doc["lateWorkingDays"] = o.completion["lateWorkingDays"]
        doc["compensation"] = money(o.completion["compensation"])
        doc["completionNotice"] = o.completion["notice"]
        doc["callbackDue"] = o.completion["callbackDue"]
    if o.callback:
        doc["callback"] = o.callback
    if o.cancellation and o.cancellation.get("state", "done") == "done":
        doc["cancellationDate"] = o.cancellation["at"]
        doc["cancellationReason"] = o.cancellation["reason"] or None
    return {k: v for k, v in doc.items() if v is not None}


def cancellation_document(o: ProductOrder) -> dict[str, Any]:
    """TMF622 CancelProductOrder: done, inProgress while delivering provinces answer, terminatedWithError when one
    refused (their reasons in `stateReason`)."""
    cid = cancellation_id(o)
    c = o.cancellation
    assert c is not None
    state = c.get("state", "done")
    doc = {
        "id": cid,
        "href": f"{CANCEL_BASE}/{cid}",
        "@type": "CancelProductOrder",
        "state": state,
        "cancellationReason": c["reason"],
        "requestedCancellationDate": c.get("requestedAt") or c.get("at"),
        "effectiveCancellationDate": c["at"] if state == "done" else None,
        "productOrder": {"id": str(o.id), "href": f"{ORDER_BASE}/{o.id}", "@referredType": "ProductOrder"},
        "awaitingAnswerFrom": [p for p in c.get("asked", []) if p not in c.get("answers", {})] or None,
        "answers": [{"deliveringProvince": p, **a} for p, a in sorted(c.get("answers", {}).items())] or None,
        "stateReason": c.get("refusal"),
    }
    return {k: v for k, v in doc.items() if v is not None}


def work_order_document(w: WorkOrder) -> dict[str, Any]:
    """TMF641 ServiceOrder: one item naming the unit's task; remote work names its home order and customer."""
    order_ref: dict[str, Any] = {"id": str(w.order_id), "@referredType": "ProductOrder"}
    if w.is_remote:
        order_ref["homeProvince"] = w.home_province
    else:
        order_ref["href"] = f"{ORDER_BASE}/{w.order_id}"
    doc = {
        "id": str(w.id),
        "href": f"{WORK_BASE}/{w.id}",
        "@type": "ServiceOrder",
        "state": w.state,
        "category": w.kind,
        "description": f"{w.kind} for product order {w.order_id}"
        + (f" accepted in {w.home_province}" if w.is_remote else ""),
        "orderDate": utc(w.created_on),
        "externalReference": [{"name": str(w.order_id), "externalReferenceType": "productOrder"}],
        "serviceOrderItem": [
            {"id": "1", "action": "add", "state": w.state, "service": {"name": w.kind, "serviceType": w.kind}}
        ],
        "productOrder": order_ref,
        "workKind": w.kind,
        "sequence": w.sequence,
        "deliveringProvince": w.province,
        "homeProvince": w.home_province,
        "relatedParty": [{**w.customer, "role": "customer", "@referredType": "Customer"}]
        if w.customer
        else None,
        "productOrderItem": w.items or None,
        "errorMessage": [{"message": w.error_message}] if w.error_message else None,
        "stateHistory": w.history,
        "version": w.version,
    }
    return {k: v for k, v in doc.items() if v is not None}


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


PROJECTORS = {ProductOrder: project_order, WorkOrder: project_work_order}
