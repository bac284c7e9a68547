"""Customers and groups as TMF629 documents (pure)."""

from __future__ import annotations

from typing import Any

from shared.domain.customer import Customer
from shared.domain.group_share import RemoteGroup
from shared.domain.json_types import JSONObject
from shared.domain.values import Grade
from shared.persistence.protection import mask_phone

BASE = "/tmf-api/customerManagement/v4/customer"


def manager_party(manager: JSONObject | None) -> list[JSONObject]:
    """The customer manager as a TMF relatedParty entry (none without a manager)."""
    if not manager:
        return []
    return [
        {
            "id": manager["id"],
            "name": manager["name"],
            "role": "customerManager",
            "@referredType": "Individual",
        }
    ]


def customer_document(c: Customer) -> JSONObject:
    """The TMF629 Customer with our extensions (certificate, grade, kind, members)."""
    href = f"{BASE}/{c.id}"
    manager = c.current_manager
    doc: dict[str, Any] = {
        "id": str(c.id),
        "href": href,
        "@type": "Customer",
        "name": c.name,
        "status": c.status,
        "statusReason": c.status_reason or None,
        "customerKind": c.kind,
        "grade": c.grade,
        "starLevel": Grade(c.grade).stars,
        "certificate": {"type": c.certificate_type, "number": c.certificate_number},
        "industry": c.industry or None,
        "province": c.province,
        "homeProvince": c.province,
        "engagedParty": {
            "id": str(c.id),
            "name": c.name,
            "@referredType": "Organization" if c.is_group else "Individual",
        },
        "contactMedium": c.contacts,
        "relatedParty": manager_party(manager),
        "customerManager": manager,
        "customerManagerHistory": c.managers,
        "validFor": {"startDateTime": c.created_on.isoformat()},
        "version": c.version,
        "lastUpdate": c.modified_on.isoformat(),
    }
    if c.is_group:
        doc["member"] = [member_document(c, m) for m in c.members.values()]
    return {k: v for k, v in doc.items() if v is not None}


def member_document(c: Customer, member: dict[str, Any]) -> JSONObject:
    return {**member, "href": f"{BASE}/{c.id}/member/{member['id']}", "groupId": str(c.id)}


def remote_group_document(g: RemoteGroup) -> JSONObject:
    """A group registered in another province, as this province may see it (R-20): read-only, its own members."""
    v = g.view
    manager = v.get("customerManager")
    doc = {
        "id": v["id"],
        "href": f"{BASE}/{v['id']}",
        "@type": "Customer",
        "name": v["name"],
        "status": v["status"],
        "customerKind": "group",
        "grade": v["grade"],
        "starLevel": Grade(v["grade"]).stars,
        "certificate": v["certificate"],
        "industry": v.get("industry") or None,
        "province": v["homeProvince"],
        "homeProvince": v["homeProvince"],
        "readOnly": True,
        "engagedParty": {"id": v["id"], "name": v["name"], "@referredType": "Organization"},
        "relatedParty": manager_party(manager),
        "customerManager": manager,
        "member": [
            {**m, "href": f"{BASE}/{v['id']}/member/{m['id']}", "groupId": v["id"]} for m in v["member"]
        ],
        "version": g.version,
        "lastUpdate": g.modified_on.isoformat(),
    }
    return {k: val for k, val in doc.items() if val is not None}


def customer_summary(doc: dict[str, Any]) -> JSONObject:
    """How a work list names a customer, as the customer list shows it: name, phone (masked) and manager."""
    phones = [m for m in doc.get("contactMedium", []) if m["mediumType"] == "phone"]
    phones.sort(key=lambda m: not m.get("preferred"))
    manager = doc.get("customerManager")
    summary = {
        "id": doc["id"],
        "href": doc["href"],
        "name": doc["name"],
        "phoneNumber": mask_phone(phones[0]["characteristic"]["phoneNumber"]) if phones else None,
        "customerManager": {"id": manager["id"], "name": manager["name"]} if manager else None,
    }
    return {k: v for k, v in summary.items() if v is not None}
