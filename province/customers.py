"""Customer commands and the customer read model (客户资料)."""

from __future__ import annotations

from typing import Any

from shared.application import IdempotencyKey, Outcome
from shared.domain.customer import Customer
from shared.domain.errors import Conflict, InvalidValue
from shared.domain.values import Grade, only_fields
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Operation, ReplaceChildren, Table, Upsert

BASE = "/tmf-api/customerManagement/v4/customer"

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
            ("name", "TEXT"),
            ("created_at", "TEXT"),
        ),
        indexes=("status", "grade", "manager_id"),
        unique=("certificate",),
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
    ),
)


def customer_document(c: Customer) -> dict[str, Any]:
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
        "engagedParty": {
            "id": str(c.id),
            "name": c.name,
            "@referredType": "Organization" if c.is_group else "Individual",
        },
        "contactMedium": c.contacts,
        "relatedParty": (
            [{"id": manager["id"], "name": manager["name"], "role": "customerManager", "@referredType": "Individual"}]
            if manager
            else []
        ),
        "customerManager": manager,
        "customerManagerHistory": c.managers,
        "validFor": {"startDateTime": c.created_on.isoformat()},
        "version": c.version,
        "lastUpdate": c.modified_on.isoformat(),
    }
    if c.is_group:
        doc["member"] = [member_document(c, m) for m in c.members.values()]
    return {k: v for k, v in doc.items() if v is not None}


def member_document(c: Customer, member: dict[str, Any]) -> dict[str, Any]:
    return {**member, "href": f"{BASE}/{c.id}/member/{member['id']}", "groupId": str(c.id)}


def project_customer(c: Customer) -> list[Operation]:
    manager = c.current_manager
    row = {
        "id": str(c.id),
        "status": c.status,
        "grade": c.grade,
        "kind": c.kind,
        "manager_id": manager["id"] if manager else None,
        "industry": c.industry or None,
        "certificate": certificate_key(c.certificate_type, c.certificate_number),
        "name": c.name,
        "created_at": c.created_on.isoformat(),
        "doc": customer_document(c),
    }
    members = tuple(
        {
            "id": m["id"],
            "customer_id": str(c.id),
            "phone_number": m["phoneNumber"],
            "province": m["province"],
            "member_customer_id": m["customerId"],
            "centrally_paid": 1 if m["centrallyPaid"] else 0,
            "doc": member_document(c, m),
        }
        for m in c.members.values()
    )
    return [Upsert("customer", row), ReplaceChildren("customer_member", str(c.id), members)]


def certificate_key(kind: str, number: str) -> str:
    return f"{kind}:{number}"


PROJECTORS = {Customer: project_customer}

PATCHABLE = ("name", "status", "statusReason", "grade", "contactMedium", "industry", "customerManager")


class CustomerCommands:
    """Mixed into the province application."""

    def register_customer(
        self, data: dict[str, Any], by: dict[str, str], idempotency: IdempotencyKey | None = None
    ) -> dict[str, Any]:
        cert = data.get("certificate")
        if not isinstance(cert, dict):
            raise InvalidValue("is required: an object with type and number", field="certificate")
        customer = Customer.register(
            province=self.settings.node_code,
            kind=data.get("customerKind", "individual"),
            name=data.get("name"),
            certificate_type=cert.get("type"),
            certificate_number=cert.get("number"),
            grade=data.get("grade"),
            contacts=data.get("contactMedium"),
            industry=data.get("industry"),
            by=by,
        )
        if data.get("customerManager") is not None:
            customer.assign_manager(data["customerManager"], self.clock(), by)
        self._refuse_duplicate_certificate(customer)
        extra = self.on_customer_registered(customer, by)
        document = customer_document(customer)
        try:
            self.record(
                customer, *extra, idempotency=idempotency, outcome=Outcome(201, document)
            )
        except Conflict:
            self._refuse_duplicate_certificate(customer)  # lost a race to the same certificate
            raise
        return document

    def on_customer_registered(self, customer: Customer, by: dict[str, str]) -> list[Any]:
        """Aggregates created with a customer (its billing account); saved in the same transaction."""
        return []

    def _refuse_duplicate_certificate(self, customer: Customer) -> None:
        key = certificate_key(customer.certificate_type, customer.certificate_number)
        rows = self.queries.rows("SELECT id FROM {customer} WHERE certificate = ?", [key])
        if rows:
            raise Conflict(
                "a customer with this certificate is already registered in this province",
                field="certificate.number",
                existing_id=rows[0]["id"],
                existing_href=f"{BASE}/{rows[0]['id']}",
            )

    def update_customer(self, customer_id: str, patch: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        only_fields(patch, PATCHABLE)
        customer: Customer = self.load(Customer, customer_id)
        if "name" in patch:
            customer.rename(patch["name"], by)
        if "contactMedium" in patch:
            customer.change_contacts(patch["contactMedium"], by)
        if "industry" in patch:
            customer.change_industry(patch["industry"], by)
        if "grade" in patch:
            customer.regrade(patch["grade"], by)
        if "customerManager" in patch:
            customer.assign_manager(patch["customerManager"], self.clock(), by)
        if "status" in patch:
            customer.change_status(patch["status"], patch.get("statusReason"), by)
        self.record(customer)
        return customer_document(customer)

    def add_member(self, customer_id: str, member: dict[str, Any], by: dict[str, str]) -> dict[str, Any]:
        customer: Customer = self.load(Customer, customer_id)
        member_id = customer.add_member(member, by)
        self.record(customer)
        return member_document(customer, customer.members[member_id])

    def remove_member(self, customer_id: str, member_id: str, by: dict[str, str]) -> None:
        customer: Customer = self.load(Customer, customer_id)
        customer.remove_member(member_id, by)
        self.record(customer)

    def list_customers(
        self,
        *,
        status: str | None = None,
        grade: str | None = None,
        kind: str | None = None,
        manager_id: str | None = None,
        industry: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(
            ("status", status), ("grade", grade), ("kind", kind), ("manager_id", manager_id), ("industry", industry)
        )
        if name:
            filters.append(Filter("name LIKE ?", (f"%{name}%",)))
        return self.queries.page("customer", filters, offset=offset, limit=limit, order_by="created_at, id")

    def get_customer(self, customer_id: str) -> dict[str, Any]:
        return self.document("customer", customer_id, "customer")

    def list_members(self, customer_id: str, offset: int = 0, limit: int = 100) -> Page:
        self.get_customer(customer_id)
        return self.queries.page(
            "customer_member", [Filter("customer_id = ?", (customer_id,))], offset=offset, limit=limit
        )
