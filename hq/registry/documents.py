"""The national registry's documents: a province's part of a customer, and the national customer of all parts."""

from __future__ import annotations

from typing import Any

from shared.domain.customer import Customer
from shared.domain.json_types import JSONObject
from shared.domain.values import Grade

BASE = "/tmf-api/customerManagement/v4/customer"


def part_document(province: str, c: Customer, nid: str) -> JSONObject:
    manager = c.current_manager
    return {
        "province": province,
        "id": str(c.id),
        "name": c.name,
        "status": c.status,
        "grade": c.grade,
        "customerKind": c.kind,
        "industry": c.industry or None,
        "customerManager": manager,
        "certificate": {"type": c.certificate_type, "number": c.certificate_number},
        "nationalId": nid,
        "registeredAt": c.created_on.isoformat(),
        "member": [{**m, "registeredIn": province} for m in c.members.values()],
    }


def national_document(parts: list[dict[str, Any]]) -> JSONObject:
    """One national customer from its provinces' parts (first registered first); the parts are read back from
    the read model, so they stay `Any` where indexed."""
    first = parts[0]
    cert_type, number = first["certificate"]["type"], first["certificate"]["number"]
    nid = first["nationalId"]
    best = min((p["grade"] for p in parts), key=lambda g: Grade(g).rank)
    return {
        "id": nid,
        "href": f"{BASE}/{nid}",
        "@type": "Customer",
        "name": first["name"],
        "status": "active" if any(p["status"] == "active" for p in parts) else first["status"],
        "customerKind": first["customerKind"],
        "grade": best,
        "starLevel": Grade(best).stars,
        "certificate": {"type": cert_type, "number": number},
        "industry": next((p["industry"] for p in parts if p.get("industry")), None),
        "homeProvince": first["province"],
        "provinces": [*sorted({p["province"] for p in parts})],
        "engagedParty": {
            "id": nid,
            "name": first["name"],
            "@referredType": "Organization" if first["customerKind"] == "group" else "Individual",
        },
        "provincialCustomer": [{k: v for k, v in p.items() if k != "member"} for p in parts],
        "member": [m for p in parts for m in p["member"]],
    }
