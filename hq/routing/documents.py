"""A cross-province order as HQ's order desk shows it (TMF622 ProductOrder with route and legs)."""

from __future__ import annotations

from shared.domain.cross_province import CrossProvinceOrder
from shared.domain.json_types import JSON, JSONObject

BASE = "/tmf-api/productOrderingManagement/v4/productOrder"


def desk_document(o: CrossProvinceOrder) -> JSONObject:
    """A cross-province order as HQ's desk shows it: route, each item's delivering province and state."""
    items: list[JSON] = [
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
    doc: JSONObject = {
        "id": o.order_id,
        "href": f"{BASE}/{o.order_id}",
        "@type": "ProductOrder",
        "state": o.home_state,
        "stateChangeDate": o.home_state_at,
        "homeProvince": o.home,
        "deliveringProvinces": [*sorted(o.legs)],
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
