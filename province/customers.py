"""Customer commands and the customer read model (客户资料)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.application import IdempotencyKey, Outcome
from shared.auth.roles import Role
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, ReadOnly
from shared.domain.group_share import RemoteGroup
from shared.domain.operator import Operator
from shared.domain.staff import canonical_username
from shared.domain.values import Grade, only_fields, phone_key, text
from shared.persistence.protection import mask_phone
from shared.persistence.queries import Filter, Page, contains, equal
from shared.persistence.readmodel import Delete, Operation, ReplaceChildren, Table, Upsert

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
        "homeProvince": c.province,
        "engagedParty": {
            "id": str(c.id),
            "name": c.name,
            "@referredType": "Organization" if c.is_group else "Individual",
        },
        "contactMedium": c.contacts,
        "relatedParty": (
            [
                {
                    "id": manager["id"],
                    "name": manager["name"],
                    "role": "customerManager",
                    "@referredType": "Individual",
                }
            ]
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


def _members(group_id: str, members: Any, own: bool = True) -> ReplaceChildren:
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


def remote_group_document(g: RemoteGroup) -> dict[str, Any]:
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
        "relatedParty": (
            [
                {
                    "id": manager["id"],
                    "name": manager["name"],
                    "role": "customerManager",
                    "@referredType": "Individual",
                }
            ]
            if manager
            else []
        ),
        "customerManager": manager,
        "member": [
            {**m, "href": f"{BASE}/{v['id']}/member/{m['id']}", "groupId": v["id"]} for m in v["member"]
        ],
        "version": g.version,
        "lastUpdate": g.modified_on.isoformat(),
    }
    return {k: val for k, val in doc.items() if val is not None}


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


def customer_summary(doc: dict[str, Any]) -> dict[str, Any]:
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


def certificate_key(kind: str, number: str) -> str:
    return f"{kind}:{number}"


PROJECTORS = {Customer: project_customer, RemoteGroup: project_remote_group}

PATCHABLE = ("name", "status", "statusReason", "grade", "contactMedium", "industry", "customerManager")


def ensure_manages(customer: Customer, by: Operator, reading: bool = False) -> None:
    """A customer manager changes (and sees in full) only the customers and groups they manage (R-8, R-29)."""
    if by.role != Role.CUSTOMER_MANAGER.value:
        return
    manager = customer.current_manager
    if manager is None or canonical_username(manager["id"]) != canonical_username(by.actor):
        doing = "sees personal data of" if reading else "changes"
        raise Forbidden(f"a customer manager {doing} only the customers they manage", field="customerManager")


class CustomerCommands:
    """Mixed into the province application."""

    def register_customer(
        self, data: dict[str, Any], by: Operator, idempotency: IdempotencyKey | None = None
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
            customer.assign_manager(self.managing_staff(data["customerManager"]), self.clock(), by)
        self._refuse_duplicate_certificate(customer)
        extra = self.on_customer_registered(customer, by)
        document = customer_document(customer)
        try:
            self.record(customer, *extra, idempotency=idempotency, outcome=Outcome(201, document))
        except Conflict:
            self._refuse_duplicate_certificate(customer)  # lost a race to the same certificate
            raise
        return document

    def managing_staff(self, manager: object) -> dict[str, str]:
        """A customer's manager is one of this province's customer managers in the staff directory (R-8), named by
        user name (`id`); the name is the directory's."""
        if not isinstance(manager, dict):
            raise InvalidValue("must be an object: the manager's user name as id", field="customerManager")
        username = canonical_username(text(manager.get("id"), "customerManager.id", max_length=64))
        here = self.settings.node_code
        member = self.queries.get("staff", username)
        if (
            member is None
            or member["role"] != Role.CUSTOMER_MANAGER.value
            or member["province"] != here
            or not member["enabled"]
        ):
            raise InvalidValue(
                f"'{username}' is not a customer manager of {here} in the staff directory",
                field="customerManager.id",
            )
        given = manager.get("name")
        if given is not None and text(given, "customerManager.name") != member["name"]:
            raise InvalidValue(
                f"the staff directory names {username} '{member['name']}'", field="customerManager.name"
            )
        return {"id": username, "name": member["name"]}

    def on_customer_registered(self, customer: Customer, by: Operator) -> list[Any]:
        """Aggregates created with a customer (its billing account); saved in the same transaction."""
        return []

    def still_open(self, customer: Customer) -> dict[str, list[Any]]:
        """What the customer still has open, by kind (each area adds its own): closing waits until nothing is."""
        return {}

    def _refuse_duplicate_certificate(self, customer: Customer) -> None:
        key = certificate_key(customer.certificate_type, customer.certificate_number)
        rows = self.queries.rows(
            "SELECT id FROM {customer} WHERE own_certificate = ?", [self.queries.blind(key)]
        )
        if rows:
            raise Conflict(
                "a customer with this certificate is already registered in this province",
                field="certificate.number",
                existing_id=rows[0]["id"],
                existing_href=f"{BASE}/{rows[0]['id']}",
            )

    def update_customer(self, customer_id: str, patch: dict[str, Any], by: Operator) -> dict[str, Any]:
        only_fields(patch, PATCHABLE)
        if "status" not in patch and patch.get("statusReason") is not None:
            raise InvalidValue(
                "goes with the status change it explains: send status too", field="statusReason"
            )
        customer: Customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        if "name" in patch:
            customer.rename(patch["name"], by)
        if "contactMedium" in patch:
            customer.change_contacts(patch["contactMedium"], by)
        if "industry" in patch:
            customer.change_industry(patch["industry"], by)
        if "grade" in patch:
            customer.regrade(patch["grade"], by)
        if "customerManager" in patch:
            customer.assign_manager(self.managing_staff(patch["customerManager"]), self.clock(), by)
        if "status" in patch:
            closing = patch["status"] == CustomerStatus.CLOSED.value
            customer.change_status(
                patch["status"],
                patch.get("statusReason"),
                by,
                still_open=self.still_open(customer) if closing else None,
            )
        self.record(customer)
        return customer_document(customer)

    def add_member(self, customer_id: str, member: dict[str, Any], by: Operator) -> dict[str, Any]:
        customer: Customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        member_id = customer.add_member(member, by)
        self.record(customer)
        return member_document(customer, customer.members[member_id])

    def remove_member(self, customer_id: str, member_id: str, by: Operator) -> None:
        customer: Customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        customer.remove_member(member_id, by)
        self.record(customer)

    def load_customer(self, customer_id: str, field: str = "id", referenced: bool = False) -> Customer:
        """One of this province's customers; a group another province owns is read-only here (409), an unknown
        id is a 404 (or, referred to from a request body, a 400)."""
        customer = self.find(Customer, customer_id)
        if customer is not None:
            return customer
        remote = self.find(RemoteGroup, customer_id)
        if remote is not None and not remote.withdrawn:
            home = remote.view["homeProvince"]
            raise ReadOnly(
                f"group '{customer_id}' is registered in {home}, which owns it: changes and orders are "
                f"made there (one-point acceptance)",
                field=field,
                home_province=home,
            )
        missing = InvalidValue if referenced else NotFound
        raise missing(f"no Customer with id '{customer_id}'", field=field)

    def list_customers(
        self,
        *,
        status: str | None = None,
        grade: str | None = None,
        kind: str | None = None,
        manager_id: str | None = None,
        industry: str | None = None,
        name: str | None = None,
        certificate_number: str | None = None,
        phone_number: str | None = None,
        home_province: str | None = None,
        offset: int = 0,
        limit: int = 100,
        unmask: bool = False,
    ) -> Page:
        filters = equal(
            ("status", status),
            ("grade", grade),
            ("kind", kind),
            ("manager_id", canonical_username(manager_id) if manager_id else None),
            ("industry", industry),
            ("home_province", home_province),
        )
        filters += contains("name", name)
        if certificate_number is not None:
            number = certificate_number.strip().upper()
            blind = self.queries.blind
            filters.append(
                Filter(
                    "certificate IN (?, ?)",
                    (
                        blind(certificate_key("idCard", number)),
                        blind(certificate_key("unifiedSocialCreditCode", number)),
                    ),
                )
            )
        if phone_number is not None:
            phones = self.schema.physical("customer_phone")
            filters.append(
                Filter(
                    f"id IN (SELECT customer_id FROM {phones} WHERE phone = ?)",
                    (self.queries.blind(phone_key(phone_number)),),
                )
            )
        return self.queries.page(
            "customer", filters, offset=offset, limit=limit, order_by="created_at, id", unmask=unmask
        )

    def get_customer(self, customer_id: str, unmask: bool = False) -> dict[str, Any]:
        doc = self.queries.get("customer", customer_id, unmask=unmask)
        if doc is None:
            raise NotFound(f"no customer with id '{customer_id}'", field="id")
        return doc

    def customer_summaries(self, customer_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The customers a page of a work list names (`customer_summary`), by id; from the masked read model."""
        return {
            i: customer_summary(doc) for i, doc in self.queries.documents("customer", customer_ids).items()
        }

    def list_members(self, customer_id: str, offset: int = 0, limit: int = 100) -> Page:
        self.get_customer(customer_id)
        return self.queries.page(
            "customer_member", [Filter("customer_id = ?", (customer_id,))], offset=offset, limit=limit
        )

    def get_member(self, customer_id: str, member_id: str) -> dict[str, Any]:
        doc = self.queries.get("customer_member", member_id)
        if doc is None or doc.get("groupId") != customer_id:
            raise NotFound(f"no member '{member_id}' in group '{customer_id}'", field="memberId")
        return doc

    def apply_group_share(self, event: Any) -> None:
        """HQ told this province of a group registered elsewhere with members here (R-20); in a replicated batch."""
        name = type(event).__qualname__
        if name == "GroupShare.Withdrawn":
            group = self.find(RemoteGroup, event.group_id)
            if group is not None:
                group.withdraw(event.by)
            return
        group = self.find(RemoteGroup, event.view["id"])
        if group is None:
            self.created(RemoteGroup(view=event.view, by=event.by))
        else:
            group.replace(event.view, event.by)
