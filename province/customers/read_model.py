"""The customer read model: customers (own and groups shared from elsewhere), group members, phone numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from province.customers.documents import BASE, customer_document, remote_group_document
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.customer import Customer
from shared.domain.group_share import RemoteGroup
from shared.domain.values import phone_key
from shared.persistence.readmodel import Delete, Operation, ReplaceChildren, Table, Upsert

TABLES = (
    Table(
        "customer",
        (
            ("status", "TEXT"),
            ("grade", "TEXT"),
            ("kind", "TEXT"),
            ("manager_id", "TEXT"),
            ("industry", "TEXT"),
            ("certificate", "TEXT"),
            (
                "own_certificate",
                "TEXT",
            ),  # unique among the customers this province registered; NULL for others
            ("name", "TEXT"),
            ("created_at", "TEXT"),
            ("home_province", "TEXT"),
        ),
        indexes=("status", "grade", "manager_id", "certificate", "home_province"),
        unique=("own_certificate",),
        personal=True,
        blind=("certificate", "own_certificate"),
    ),
    Table(
        "customer_member",
        (
            ("customer_id", "TEXT"),  # the group
            ("phone_number", "TEXT"),
            ("province", "TEXT"),
            ("member_customer_id", "TEXT"),  # the member's own customer record, when linked
            ("centrally_paid", "BIGINT"),  # 1 when the group's account pays for the member
        ),
        parent="customer_id",
        indexes=("member_customer_id",),
        personal=True,
        blind=("phone_number",),
    ),
    Table(
        "customer_phone",
        (("customer_id", "TEXT"), ("phone", "TEXT")),
        parent="customer_id",
        indexes=("phone",),
        personal=True,
        blind=("phone",),
    ),
)


def _phones(customer_id: str, numbers: list[str]) -> ReplaceChildren:
    keys = sorted({phone_key(n) for n in numbers})
    return ReplaceChildren(
        "customer_phone",
        customer_id,
        tuple(
            {"id": f"{customer_id}:{n}", "customer_id": customer_id, "phone": k, "doc": {"phoneNumber": k}}
            for n, k in enumerate(keys)
        ),
    )


def project_customer(c: Customer) -> list[Operation]:
    manager = c.current_manager
    certificate = certificate_key(c.certificate_type, c.certificate_number)
    row = {
        "id": str(c.id),
        "status": c.status,
        "grade": c.grade,
        "kind": c.kind,
        "manager_id": manager["id"] if manager else None,
        "industry": c.industry or None,
        "certificate": certificate,
        "own_certificate": certificate,
        "name": c.name,
        "created_at": c.created_on.isoformat(),
        "home_province": c.province,
        "doc": customer_document(c),
    }
    phones = [m["characteristic"]["phoneNumber"] for m in c.contacts if m["mediumType"] == "phone"]
    phones += [m["phoneNumber"] for m in c.members.values()]
    return [Upsert("customer", row), _members(str(c.id), c.members.values()), _phones(str(c.id), phones)]


def _members(group_id: str, members: Iterable[Mapping[str, object]], own: bool = True) -> ReplaceChildren:
    """A group's member rows; only a group this province registered links members to customers it bills
    (a group owned elsewhere pays nothing here: `payer_account` must never find it)."""
    return ReplaceChildren(
        "customer_member",
        group_id,
        tuple(
            {
                "id": m["id"],
                "customer_id": group_id,
                "phone_number": m["phoneNumber"],
                "province": m["province"],
                "member_customer_id": m.get("customerId") if own else None,
                "centrally_paid": 1 if own and m.get("centrallyPaid") else 0,
                "doc": {**m, "href": f"{BASE}/{group_id}/member/{m['id']}", "groupId": group_id},
            }
            for m in members
        ),
    )


def project_remote_group(g: RemoteGroup) -> list[Operation]:
    group_id = str(g.id)
    if g.withdrawn:
        return [Delete("customer", group_id), _members(group_id, [], own=False), _phones(group_id, [])]
    v = g.view
    manager = v.get("customerManager")
    row = {
        "id": group_id,
        "status": v["status"],
        "grade": v["grade"],
        "kind": "group",
        "manager_id": manager["id"] if manager else None,
        "industry": v.get("industry") or None,
        "certificate": certificate_key(v["certificate"]["type"], v["certificate"]["number"]),
        "own_certificate": None,
        "name": v["name"],
        "created_at": g.created_on.isoformat(),
        "home_province": v["homeProvince"],
        "doc": remote_group_document(g),
    }
    return [
        Upsert("customer", row),
        _members(group_id, v["member"], own=False),
        _phones(group_id, [m["phoneNumber"] for m in v["member"]]),
    ]


def certificate_key(kind: str, number: str) -> str:
    return f"{kind}:{number}"


PROJECTORS = {Customer: project_customer, RemoteGroup: project_remote_group}

AUDITED = (AuditedResource("customer", (Customer, RemoteGroup), P.READ_CUSTOMERS),)
