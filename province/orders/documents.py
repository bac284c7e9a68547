"""Orders and their cancellations as TMF622 documents (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from shared.api.documents import money
from shared.domain.json_types import JSONObject
from shared.domain.order import ProductOrder

ORDER_BASE = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL_BASE = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"

CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
OFFERING_BASE = "/tmf-api/productCatalogManagement/v4/productOffering"


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def cancellation_id(order: ProductOrder) -> str:
    return str(uuid5(NAMESPACE_URL, f"crm:cancel-product-order:{order.id}"))


def _item_document(o: ProductOrder, i: dict[str, Any]) -> JSONObject:
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


def order_document(o: ProductOrder) -> JSONObject:
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


def cancellation_document(o: ProductOrder) -> JSONObject:
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
