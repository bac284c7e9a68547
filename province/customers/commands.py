"""Customer commands and queries (客户资料): registering, changing, closing, group members, shared groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum

from province.customers.documents import BASE, customer_document, customer_summary, member_document
from province.customers.read_model import certificate_key
from province.customers.schemas import (
    ContactMediumInput,
    CustomerCreate,
    CustomerPatch,
    ManagerInput,
    MemberCreate,
)
from shared.application import CrmApplication, IdempotencyKey, Outcome
from shared.auth.roles import Role
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import Conflict, Forbidden, InvalidValue, NotFound, ReadOnly
from shared.domain.group_share import GroupShare, RemoteGroup
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.staff import canonical_username
from shared.domain.values import phone_key, text
from shared.persistence.queries import Filter, Page, contains, equal


def _contacts(contacts: list[ContactMediumInput] | None) -> list[JSONObject] | None:
    """Contact media as the domain parses them (plain JSON, only what was sent)."""
    return None if contacts is None else [c.model_dump(mode="json", exclude_unset=True) for c in contacts]


def _value(choice: Enum | None) -> str | None:
    return None if choice is None else str(choice.value)


def ensure_manages(customer: Customer, by: Operator, reading: bool = False) -> None:
    """A customer manager changes (and sees in full) only the customers and groups they manage (R-8, R-29)."""
    if by.role != Role.CUSTOMER_MANAGER.value:
        return
    manager = customer.current_manager
    if manager is None or canonical_username(manager["id"]) != canonical_username(by.actor):
        doing = "sees personal data of" if reading else "changes"
        raise Forbidden(f"a customer manager {doing} only the customers they manage", field="customerManager")


StillOpen = Callable[[Customer], dict[str, list[JSONObject]]]


class CustomerCommands:
    """The customers of this province, and the groups other provinces share with it (R-20)."""

    def __init__(self, store: CrmApplication, *, still_open: StillOpen) -> None:
        self.store = store
        self.still_open = (
            still_open  # what other areas still hold open for a customer: closing waits for none
        )

    def register_customer(
        self, data: CustomerCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        customer = Customer.register(
            province=self.store.settings.node_code,
            kind=data.customerKind.value,
            name=data.name,
            certificate_type=data.certificate.type.value,
            certificate_number=data.certificate.number,
            grade=data.grade.value,
            contacts=_contacts(data.contactMedium),
            industry=data.industry,
            by=by,
        )
        if data.customerManager is not None:
            customer.assign_manager(self.managing_staff(data.customerManager), self.store.clock(), by)
        self._refuse_duplicate_certificate(customer)
        document = customer_document(customer)
        try:  # the node's policy adds what registering causes (its billing account) to the same transaction
            self.store.record(customer, idempotency=idempotency, outcome=Outcome(201, document))
        except Conflict:
            self._refuse_duplicate_certificate(customer)  # lost a race to the same certificate
            raise
        return document

    def managing_staff(self, manager: ManagerInput | None) -> dict[str, str]:
        """A customer's manager is one of this province's customer managers in the staff directory (R-8), named by
        user name (`id`); the name is the directory's."""
        if manager is None:  # a patch may send null; a customer keeps a manager once given one
            raise InvalidValue("must be an object: the manager's user name as id", field="customerManager")
        username = canonical_username(text(manager.id, "customerManager.id", max_length=64))
        here = self.store.settings.node_code
        member = self.store.queries.get("staff", username)
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
        given = manager.name
        if given is not None and text(given, "customerManager.name") != member["name"]:
            raise InvalidValue(
                f"the staff directory names {username} '{member['name']}'", field="customerManager.name"
            )
        return {"id": username, "name": member["name"]}

    def _refuse_duplicate_certificate(self, customer: Customer) -> None:
        key = certificate_key(customer.certificate_type, customer.certificate_number)
        rows = self.store.queries.rows(
            "SELECT id FROM {customer} WHERE own_certificate = ?", [self.store.queries.blind(key)]
        )
        if rows:
            raise Conflict(
                "a customer with this certificate is already registered in this province",
                field="certificate.number",
                existing_id=rows[0]["id"],
                existing_href=f"{BASE}/{rows[0]['id']}",
            )

    def update_customer(self, customer_id: str, patch: CustomerPatch, by: Operator) -> JSONObject:
        """A JSON merge patch: a field sent (even as null) is changed; the domain refuses a null it cannot take."""
        sent = patch.model_fields_set
        if "status" not in sent and patch.statusReason is not None:
            raise InvalidValue(
                "goes with the status change it explains: send status too", field="statusReason"
            )
        customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        if "name" in sent:
            customer.rename(patch.name, by)
        if "contactMedium" in sent:
            customer.change_contacts(_contacts(patch.contactMedium), by)
        if "industry" in sent:
            customer.change_industry(patch.industry, by)
        if "grade" in sent:
            customer.regrade(_value(patch.grade), by)
        if "customerManager" in sent:
            customer.assign_manager(self.managing_staff(patch.customerManager), self.store.clock(), by)
        if "status" in sent:
            closing = patch.status is CustomerStatus.CLOSED
            customer.change_status(
                _value(patch.status),
                patch.statusReason,
                by,
                still_open=self.still_open(customer) if closing else None,
            )
        self.store.record(customer)
        return customer_document(customer)

    def add_member(self, customer_id: str, member: MemberCreate, by: Operator) -> JSONObject:
        customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        member_id = customer.add_member(member.model_dump(exclude_unset=True), by)
        self.store.record(customer)
        return member_document(customer, customer.members[member_id])

    def remove_member(self, customer_id: str, member_id: str, by: Operator) -> None:
        customer: Customer = self.load_customer(customer_id)
        ensure_manages(customer, by)
        customer.remove_member(member_id, by)
        self.store.record(customer)

    def load_customer(self, customer_id: str, field: str = "id", referenced: bool = False) -> Customer:
        """One of this province's customers; a group another province owns is read-only here (409), an unknown
        id is a 404 (or, referred to from a request body, a 400)."""
        customer = self.store.find(Customer, customer_id)
        if customer is not None:
            return customer
        remote = self.store.find(RemoteGroup, customer_id)
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
            blind = self.store.queries.blind
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
            phones = self.store.schema.physical("customer_phone")
            filters.append(
                Filter(
                    f"id IN (SELECT customer_id FROM {phones} WHERE phone = ?)",
                    (self.store.queries.blind(phone_key(phone_number)),),
                )
            )
        return self.store.queries.page(
            "customer", filters, offset=offset, limit=limit, order_by="created_at, id", unmask=unmask
        )

    def get_customer(self, customer_id: str, unmask: bool = False) -> JSONObject:
        doc = self.store.queries.get("customer", customer_id, unmask=unmask)
        if doc is None:
            raise NotFound(f"no customer with id '{customer_id}'", field="id")
        return doc

    def customer_summaries(self, customer_ids: Iterable[str]) -> dict[str, JSONObject]:
        """The customers a page of a work list names (`customer_summary`), by id; from the masked read model."""
        return {
            i: customer_summary(doc)
            for i, doc in self.store.queries.documents("customer", customer_ids).items()
        }

    def list_members(self, customer_id: str, offset: int = 0, limit: int = 100) -> Page:
        self.get_customer(customer_id)
        return self.store.queries.page(
            "customer_member", [Filter("customer_id = ?", (customer_id,))], offset=offset, limit=limit
        )

    def get_member(self, customer_id: str, member_id: str) -> JSONObject:
        doc = self.store.queries.get("customer_member", member_id)
        if doc is None or doc.get("groupId") != customer_id:
            raise NotFound(f"no member '{member_id}' in group '{customer_id}'", field="memberId")
        return doc

    def share_group(self, event: GroupShare.Shared | GroupShare.Updated) -> None:
        """HQ told this province of a group registered elsewhere with members here (R-20); in a replicated batch."""
        group = self.store.find(RemoteGroup, event.view["id"])
        if group is None:
            self.store.created(RemoteGroup(view=event.view, by=event.by))
        else:
            group.replace(event.view, event.by)

    def withdraw_group_share(self, event: GroupShare.Withdrawn) -> None:
        """The shared group no longer has members here; in a replicated batch."""
        group = self.store.find(RemoteGroup, event.group_id)
        if group is not None:
            group.withdraw(event.by)
