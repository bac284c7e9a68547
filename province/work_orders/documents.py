"""Work orders as TMF641 ServiceOrder documents (pure)."""

from __future__ import annotations

from province.orders.documents import ORDER_BASE, utc
from shared.domain.json_types import JSONObject
from shared.domain.work_order import WorkOrder

WORK_BASE = "/tmf-api/serviceOrdering/v4/serviceOrder"


def work_order_document(w: WorkOrder) -> JSONObject:
    """TMF641 ServiceOrder: one item naming the unit's task; remote work names its home order and customer."""
    order_ref: JSONObject = {"id": str(w.order_id), "@referredType": "ProductOrder"}
    if w.is_remote:
        order_ref["homeProvince"] = w.home_province
    else:
        order_ref["href"] = f"{ORDER_BASE}/{w.order_id}"
    doc: JSONObject = {
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
        "productOrderItem": list(w.items) or None,
        "errorMessage": [{"message": w.error_message}] if w.error_message else None,
        "stateHistory": list(w.history),
        "version": w.version,
    }
    return {k: v for k, v in doc.items() if v is not None}
