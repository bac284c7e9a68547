"""Accounts and billing (账务, R-22, R-23): billing accounts, charges, monthly bills and payments."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.calendar import WorkingCalendar
from shared.domain.errors import Conflict, IllegalTransition, InvalidValue
from shared.domain.operator import Operator
from shared.domain.values import fen, parse_enum, province_code, text

BILL_DUE_DAY = 20  # bills fall due on the 20th of the month after the cycle (next working day)
SUMMARY_MONTHS = 6  # bill summaries stay online six months (older: replay the event store)
DETAIL_MONTHS = 3  # bill lines stay online three months
PAYMENT_METHODS = ("cash", "bankTransfer", "card", "wechatPay", "alipay", "groupAccount")


class ChargeKind(str, Enum):
    ONE_TIME = "oneTime"
    MONTHLY = "monthly"


class BillState(str, Enum):
    """TMF678 customer bill states."""

    NEW = "new"
    SENT = "sent"
    PARTIALLY_PAID = "partiallyPaid"
    SETTLED = "settled"


MONTH_FORM = "YYYY-MM, e.g. 2026-12"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"  # and not year 0000
_CYCLE = re.compile(MONTH_PATTERN)


def parse_cycle(value: object, field: str = "cycle") -> str:
    """A monthly billing cycle (or any month), `YYYY-MM`."""
    if not isinstance(value, str) or not _CYCLE.fullmatch(value) or value.startswith("0000"):
        raise InvalidValue(f"expected {MONTH_FORM}", field=field)
    return value


def billable_cycle(value: object, today: date, field: str = "cycle") -> str:
    """A cycle that can be billed: not one that has not begun yet."""
    cycle = parse_cycle(value, field)
    if cycle > cycle_of(today):
        raise InvalidValue(
            f"the cycle {cycle} has not begun yet (today is in {cycle_of(today)})", field=field
        )
    return cycle


def cycle_of(day: date, months_back: int = 0) -> str:
    """The `YYYY-MM` cycle `months_back` months before the one containing `day`."""
    index = day.year * 12 + day.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def cycle_due_date(cycle: str, calendar: WorkingCalendar) -> date:
    year, month = int(cycle[:4]), int(cycle[5:])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    due = date(year, month, BILL_DUE_DAY)
    return due if calendar.is_working_day(due) else calendar.add_working_days(due, 1)


def account_id_for(customer_id: str) -> UUID:
    """Each customer has exactly one billing account, so its id derives from the customer's."""
    return uuid5(NAMESPACE_URL, f"crm:billing-account:{customer_id}")


class BillingAccount(Aggregate):
    """One customer's account: unbilled one-time charges, monthly subscriptions, billed cycles."""

    @staticmethod
    def create_id(customer_id: str, **_: object) -> UUID:
        return account_id_for(customer_id)

    class Opened(Aggregate.Created):
        customer_id: str
        name: str
        province: str
        by: Operator

    @event(Opened)
    def __init__(self, customer_id: str, name: str, province: str, by: Operator) -> None:
        self.customer_id = customer_id
        self.name = name
        self.province = province
        self.unbilled: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.billed_cycles: dict[str, str] = {}
        self.outstanding = 0

    def post_charge(self, charge: object, for_customer_id: str, at: datetime, by: Operator) -> None:
        if not isinstance(charge, dict):
            raise InvalidValue("a charge is {kind, amount, description, reference}", field="charge")
        kind = parse_enum(ChargeKind, charge.get("kind"), "kind")
        delivering = charge.get("deliveringProvince")
        self._charge_posted(
            charge_id=str(uuid4()),
            kind=kind.value,
            amount=fen(charge.get("amount"), "amount", positive=True),
            description=text(charge.get("description"), "description", max_length=200, required=False),
            reference=text(charge.get("reference"), "reference", max_length=64, required=False),
            for_customer_id=for_customer_id,
            at=at,
            by=by,
            delivering_province=self.province
            if delivering is None
            else province_code(delivering, "deliveringProvince"),
            offering_id=text(charge.get("offeringId"), "offeringId", max_length=64, required=False),
            order_item_id=text(charge.get("orderItemId"), "orderItemId", max_length=64, required=False),
        )

    class ChargePosted(Aggregate.Event):
        charge_id: str
        kind: str
        amount: int
        description: str
        reference: str
        for_customer_id: str
        at: datetime
        by: Operator
        delivering_province: str
        offering_id: str
        order_item_id: str

    @event(ChargePosted)
    def _charge_posted(
        self,
        charge_id: str,
        kind: str,
        amount: int,
        description: str,
        reference: str,
        for_customer_id: str,
        at: datetime,
        by: Operator,
        delivering_province: str = "",
        offering_id: str = "",
        order_item_id: str = "",
    ) -> None:
        line = {
            "id": charge_id,
            "kind": kind,
            "amount": amount,
            "description": description,
            "reference": reference,
            "forCustomerId": for_customer_id,
            "postedAt": at.isoformat(),
            # R-21 one-point billing: billed here, apportioned by HQ to the province that delivered.
            "deliveringProvince": delivering_province or self.province,
            "offeringId": offering_id or None,
            "orderItemId": order_item_id or None,
        }
        (self.unbilled if kind == ChargeKind.ONE_TIME.value else self.subscriptions).append(line)

    def bill(self, cycle: str, calendar: WorkingCalendar, at: datetime, by: Operator) -> CustomerBill | None:
        """The cycle's bill: unbilled one-time charges plus every monthly subscription; None if nothing to bill."""
        if cycle in self.billed_cycles:
            raise Conflict(
                f"cycle {cycle} is already billed for this account",
                field="billingPeriod",
                existing_id=self.billed_cycles[cycle],
            )
        lines = [*self.unbilled, *self.subscriptions]
        if not lines:
            return None
        bill = CustomerBill(
            account_id=self.id,
            customer_id=self.customer_id,
            cycle=cycle,
            lines=lines,
            due_date=cycle_due_date(cycle, calendar),
            issued_at=at,
            by=by,
        )
        self._billed(cycle=cycle, bill_id=bill.id, amount=bill.amount_due, by=by)
        return bill

    class Billed(Aggregate.Event):
        cycle: str
        bill_id: UUID
        amount: int
        by: Operator

    @event(Billed)
    def _billed(self, cycle: str, bill_id: UUID, amount: int, by: Operator) -> None:
        self.billed_cycles[cycle] = str(bill_id)
        self.unbilled = []
        self.outstanding += amount

    def receive(self, amount: int, bill_id: UUID, by: Operator) -> None:
        self._paid(bill_id=bill_id, amount=amount, by=by)

    class PaymentReceived(Aggregate.Event):
        bill_id: UUID
        amount: int
        by: Operator

    @event(PaymentReceived)
    def _paid(self, bill_id: UUID, amount: int, by: Operator) -> None:
        self.outstanding -= amount

    @property
    def unbilled_amount(self) -> int:
        return sum(c["amount"] for c in self.unbilled)


class CustomerBill(Aggregate):
    """A bill for one account and one monthly cycle (TMF678)."""

    class Issued(Aggregate.Created):
        account_id: UUID
        customer_id: str
        cycle: str
        lines: list[dict[str, Any]]
        due_date: date
        issued_at: datetime
        by: Operator

    @event(Issued)
    def __init__(
        self,
        *,
        account_id: UUID,
        customer_id: str,
        cycle: str,
        lines: list[dict[str, Any]],
        due_date: date,
        issued_at: datetime,
        by: Operator,
    ) -> None:
        self.account_id = account_id
        self.customer_id = customer_id
        self.cycle = cycle
        self.lines = lines
        self.amount_due = sum(line["amount"] for line in lines)
        self.remaining = self.amount_due
        self.due_date = due_date
        self.issued_at = issued_at
        self.state = BillState.NEW.value
        self.payments: list[dict[str, Any]] = []

    def send(self, at: datetime, by: Operator) -> None:
        if self.state != BillState.NEW.value:
            raise IllegalTransition(
                f"a {self.state} bill cannot be sent", field="state", current_state=self.state
            )
        self._sent(at=at, by=by)

    class Sent(Aggregate.Event):
        at: datetime
        by: Operator

    @event(Sent)
    def _sent(self, at: datetime, by: Operator) -> None:
        self.state = BillState.SENT.value

    def apply_payment(self, payment_id: UUID, amount: object, at: datetime, by: Operator) -> int:
        paid = fen(amount, "totalAmount.value", positive=True)
        if self.state == BillState.SETTLED.value:
            raise IllegalTransition("the bill is already settled", field="bill.id", current_state=self.state)
        if self.state == BillState.NEW.value:
            raise IllegalTransition(
                "a bill is paid after it is sent", field="bill.id", current_state=self.state
            )
        if paid > self.remaining:
            raise InvalidValue(
                f"over-payment: {paid} fen exceeds the {self.remaining} fen remaining on the bill",
                field="totalAmount.value",
                remaining=self.remaining,
            )
        self._payment_applied(payment_id=payment_id, amount=paid, at=at, by=by)
        return paid

    class PaymentApplied(Aggregate.Event):
        payment_id: UUID
        amount: int
        at: datetime
        by: Operator

    @event(PaymentApplied)
    def _payment_applied(self, payment_id: UUID, amount: int, at: datetime, by: Operator) -> None:
        self.remaining -= amount
        self.payments.append({"paymentId": str(payment_id), "amount": amount, "at": at.isoformat()})
        self.state = BillState.SETTLED.value if self.remaining == 0 else BillState.PARTIALLY_PAID.value


class Payment(Aggregate):
    """A payment against one bill (TMF676 naming)."""

    class Received(Aggregate.Created):
        bill_id: UUID
        account_id: UUID
        amount: int
        method: str
        paid_at: datetime
        by: Operator

    @event(Received)
    def __init__(
        self,
        *,
        id: UUID,
        bill_id: UUID,
        account_id: UUID,
        amount: int,
        method: str,
        paid_at: datetime,
        by: Operator,
    ) -> None:
        self.bill_id = bill_id
        self.account_id = account_id
        self.amount = amount
        self.method = method
        self.paid_at = paid_at
        self.channel = by.channel


def parse_method(value: object) -> str:
    if value is None:
        return "cash"
    if value not in PAYMENT_METHODS:
        raise InvalidValue(f"one of {', '.join(PAYMENT_METHODS)}", field="paymentMethod")
    return str(value)
