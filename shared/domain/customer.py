"""Customer (客户): an individual or a group, with certificate, contacts, grade, manager and members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import IllegalTransition, InvalidValue, NotFound
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.values import (
    MAX_TEXT,
    Grade,
    certificate,
    parse_enum,
    phone,
    phone_key,
    province_code,
    repeated_move,
    text,
)


class CustomerKind(str, Enum):
    INDIVIDUAL = "individual"
    GROUP = "group"  # 集团客户


class CustomerStatus(str, Enum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


ALLOWED_STATUS_CHANGES: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.PROSPECT: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CLOSED}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.SUSPENDED, CustomerStatus.CLOSED}),
    CustomerStatus.SUSPENDED: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CLOSED}),
    CustomerStatus.CLOSED: frozenset(),
}

# what keeps a customer from being closed (销户): nothing may be left in flight, running or owed.
CLOSING_BLOCKERS = {
    "openOrders": "open order",
    "activeProducts": "active product",
    "unbilledCharges": "unbilled charge",
    "unpaidBills": "unpaid bill",
}
MEDIUM_TYPES = {"phone": "phoneNumber", "email": "emailAddress", "postalAddress": "street1"}
MAX_CONTACTS = 10
MAX_MEMBERS_PER_COMMAND = 1


def parse_kind(value: object) -> CustomerKind:
    return parse_enum(CustomerKind, value, "customerKind")


def parse_status(value: object, field: str = "status") -> CustomerStatus:
    return parse_enum(CustomerStatus, value, field)


def parse_contacts(value: object, field: str = "contactMedium") -> list[JSONObject]:
    """TMF ContactMedium entries: a medium type and its characteristic's main value."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CONTACTS:
        raise InvalidValue(f"must be a list of at most {MAX_CONTACTS} contact media", field=field)
    contacts: list[JSONObject] = []
    for i, entry in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict):
            raise InvalidValue("must be an object", field=where)
        medium = entry.get("mediumType")
        if not isinstance(medium, str) or medium not in MEDIUM_TYPES:
            raise InvalidValue(
                f"unknown mediumType; one of {', '.join(MEDIUM_TYPES)}", field=f"{where}.mediumType"
            )
        characteristic = entry.get("characteristic")
        if not isinstance(characteristic, dict):
            raise InvalidValue("is required", field=f"{where}.characteristic")
        key = MEDIUM_TYPES[medium]
        raw = characteristic.get(key)
        where_value = f"{where}.characteristic.{key}"
        if medium == "phone":
            main = phone(raw, where_value)
        elif medium == "email":
            main = text(raw, where_value)
            if "@" not in main:
                raise InvalidValue("is not an e-mail address", field=where_value)
        else:
            main = text(raw, where_value, max_length=MAX_TEXT)
        contacts.append(
            {
                "mediumType": medium,
                "preferred": bool(entry.get("preferred", False)),
                "characteristic": {key: main},
            }
        )
    return contacts


class Customer(Aggregate):
    """A provincial customer. Validation lives in the public methods; `@event` bodies only apply."""

    @classmethod
    def register(
        cls,
        *,
        province: str,
        kind: object,
        name: object,
        certificate_type: object,
        certificate_number: object,
        grade: object,
        contacts: object = None,
        industry: object = None,
        by: Operator,
        customer_id: UUID | None = None,
    ) -> Customer:
        kind_value = parse_kind(kind)
        cert_type, cert_number = certificate(certificate_type, certificate_number)
        expected = "idCard" if kind_value is CustomerKind.INDIVIDUAL else "unifiedSocialCreditCode"
        if cert_type != expected:
            raise InvalidValue(
                f"a {kind_value.value} customer is identified by {expected}", field="certificate.type"
            )
        return cls(
            id=customer_id or uuid4(),
            province=province_code(province),
            kind=kind_value.value,
            name=text(name, "name"),
            certificate_type=cert_type,
            certificate_number=cert_number,
            grade=Grade.parse(grade).value,
            contacts=parse_contacts(contacts),
            industry=text(industry, "industry", required=False),
            by=by,
        )

    class Registered(Aggregate.Created):
        province: str
        kind: str
        name: str
        certificate_type: str
        certificate_number: str
        grade: str
        contacts: list[dict[str, Any]]
        industry: str
        by: Operator

    @event(Registered)
    def __init__(
        self,
        *,
        id: UUID,
        province: str,
        kind: str,
        name: str,
        certificate_type: str,
        certificate_number: str,
        grade: str,
        contacts: list[dict[str, Any]],
        industry: str,
        by: Operator,
    ) -> None:
        self.province = province
        self.kind = kind
        self.name = name
        self.certificate_type = certificate_type
        self.certificate_number = certificate_number
        self.grade = grade
        self.contacts = contacts
        self.industry = industry
        self.status = CustomerStatus.PROSPECT.value
        self.status_reason = ""
        self.managers: list[JSONObject] = []
        self.members: dict[str, dict[str, Any]] = {}
        self.registered_by = by.as_dict()

    @staticmethod
    def create_id(id: UUID) -> UUID:
        return id

    @property
    def is_group(self) -> bool:
        return self.kind == CustomerKind.GROUP.value

    @property
    def current_manager(self) -> JSONObject | None:
        return self.managers[-1] if self.managers and self.managers[-1]["until"] is None else None

    # --- profile ---------------------------------------------------------------------------

    def rename(self, name: object, by: Operator) -> None:
        self._ensure_open("name")
        new = text(name, "name")
        if new != self.name:
            self._renamed(name=new, by=by)

    class Renamed(Aggregate.Event):
        name: str
        by: Operator

    @event(Renamed)
    def _renamed(self, name: str, by: Operator) -> None:
        self.name = name

    def change_contacts(self, contacts: object, by: Operator) -> None:
        self._ensure_open("contactMedium")
        new = parse_contacts(contacts)
        if new != self.contacts:
            self._contacts_changed(contacts=new, by=by)

    class ContactsChanged(Aggregate.Event):
        contacts: list[dict[str, Any]]
        by: Operator

    @event(ContactsChanged)
    def _contacts_changed(self, contacts: list[dict[str, Any]], by: Operator) -> None:
        self.contacts = contacts

    def change_industry(self, industry: object, by: Operator) -> None:
        self._ensure_open("industry")
        new = text(industry, "industry", required=False)
        if new != self.industry:
            self._industry_changed(industry=new, by=by)

    class IndustryChanged(Aggregate.Event):
        industry: str
        by: Operator

    @event(IndustryChanged)
    def _industry_changed(self, industry: str, by: Operator) -> None:
        self.industry = industry

    # --- lifecycle ---------------------------------------------------------------------------

    def change_status(
        self,
        status: object,
        reason: object,
        by: Operator,
        still_open: Mapping[str, Sequence[object]] | None = None,
    ) -> None:
        """`still_open`: what the customer still has open, by kind (CLOSING_BLOCKERS); closing waits for none."""
        target = parse_status(status)
        current = CustomerStatus(self.status)
        if target is current:
            repeated_move(current.value, self.status_reason, reason, "statusReason")
            return
        if target not in ALLOWED_STATUS_CHANGES[current]:
            raise IllegalTransition(
                f"a {current.value} customer cannot become {target.value}",
                field="status",
                current_state=current.value,
            )
        blocking = {kind: items for kind, items in (still_open or {}).items() if items}
        if target is CustomerStatus.CLOSED and blocking:
            counted = ", ".join(
                f"{len(items)} {CLOSING_BLOCKERS.get(kind, kind)}{'s' if len(items) > 1 else ''}"
                for kind, items in blocking.items()
            )
            raise IllegalTransition(
                f"a customer is closed once nothing of theirs is open; still open: {counted} (see stillOpen): "
                "finish or cancel the orders, end the products, bill and collect what is owed first",
                field="status",
                current_state=current.value,
                still_open=blocking,
            )
        self._status_changed(
            from_status=current.value,
            to_status=target.value,
            reason=text(reason, "statusReason", max_length=MAX_TEXT, required=False),
            by=by,
        )

    class StatusChanged(Aggregate.Event):
        from_status: str
        to_status: str
        reason: str
        by: Operator

    @event(StatusChanged)
    def _status_changed(self, from_status: str, to_status: str, reason: str, by: Operator) -> None:
        self.status = to_status
        self.status_reason = reason

    def regrade(self, grade: object, by: Operator) -> None:
        self._ensure_open("grade")
        new = Grade.parse(grade).value
        if new != self.grade:
            self._grade_changed(from_grade=self.grade, to_grade=new, by=by)

    class GradeChanged(Aggregate.Event):
        from_grade: str
        to_grade: str
        by: Operator

    @event(GradeChanged)
    def _grade_changed(self, from_grade: str, to_grade: str, by: Operator) -> None:
        self.grade = to_grade

    def assign_manager(self, manager: object, at: datetime, by: Operator) -> None:
        """客户经理: a new assignment ends the previous one; the history is kept."""
        self._ensure_open("customerManager")
        if not isinstance(manager, dict):
            raise InvalidValue("must be an object with id and name", field="customerManager")
        manager_id = text(manager.get("id"), "customerManager.id", max_length=64)
        name = text(manager.get("name"), "customerManager.name")
        current = self.current_manager
        if current and current["id"] == manager_id:
            return
        self._manager_assigned(manager_id=manager_id, manager_name=name, at=at, by=by)

    class ManagerAssigned(Aggregate.Event):
        manager_id: str
        manager_name: str
        at: datetime
        by: Operator

    @event(ManagerAssigned)
    def _manager_assigned(self, manager_id: str, manager_name: str, at: datetime, by: Operator) -> None:
        stamp = at.isoformat()
        if self.managers and self.managers[-1]["until"] is None:
            self.managers[-1] = {**self.managers[-1], "until": stamp}
        self.managers.append({"id": manager_id, "name": manager_name, "since": stamp, "until": None})

    # --- group members ------------------------------------------------------------------------

    def add_member(self, member: object, by: Operator) -> str:
        """集团成员: name, phone number and the province the member lives in."""
        self._ensure_open("member")
        if not self.is_group:
            raise IllegalTransition("only a group customer has members", field="customerKind")
        if not isinstance(member, dict):
            raise InvalidValue("must be an object", field="member")
        number = phone(member.get("phoneNumber"), "phoneNumber")
        if any(phone_key(m["phoneNumber"]) == phone_key(number) for m in self.members.values()):
            raise InvalidValue("this phone number is already a member of the group", field="phoneNumber")
        linked = member.get("customerId")
        if linked is not None:
            linked = text(linked, "customerId", max_length=64)
        centrally_paid = member.get("centrallyPaid", False)
        if not isinstance(centrally_paid, bool):
            raise InvalidValue("must be true or false", field="centrallyPaid")
        member_id = str(uuid4())
        self._member_added(
            member_id=member_id,
            name=text(member.get("name"), "name"),
            phone_number=number,
            province=province_code(member.get("province"), "province"),
            customer_id=linked,
            centrally_paid=centrally_paid,
            by=by,
        )
        return member_id

    class MemberAdded(Aggregate.Event):
        member_id: str
        name: str
        phone_number: str
        province: str
        customer_id: str | None
        centrally_paid: bool
        by: Operator

    @event(MemberAdded)
    def _member_added(
        self,
        member_id: str,
        name: str,
        phone_number: str,
        province: str,
        customer_id: str | None,
        centrally_paid: bool,
        by: Operator,
    ) -> None:
        self.members[member_id] = {
            "id": member_id,
            "name": name,
            "phoneNumber": phone_number,
            "province": province,
            "customerId": customer_id,
            "centrallyPaid": centrally_paid,
        }

    def remove_member(self, member_id: str, by: Operator) -> None:
        self._ensure_open("member")
        if member_id not in self.members:
            raise NotFound(f"no member '{member_id}' in this group", field="memberId")
        self._member_removed(member_id=member_id, by=by)

    class MemberRemoved(Aggregate.Event):
        member_id: str
        by: Operator

    @event(MemberRemoved)
    def _member_removed(self, member_id: str, by: Operator) -> None:
        del self.members[member_id]

    def _ensure_open(self, field: str) -> None:
        if self.status == CustomerStatus.CLOSED.value:
            raise IllegalTransition(
                "a closed customer cannot be changed", field=field, current_state=self.status
            )
