"""Billing rules on bare aggregates, no store: due dates, cycles, the bill state machine, payments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from shared.domain.billing import (
    BillingAccount,
    BillState,
    CustomerBill,
    account_id_for,
    cycle_due_date,
    cycle_of,
    parse_cycle,
    parse_method,
)
from shared.domain.calendar import WorkingCalendar
from shared.domain.errors import Conflict, IllegalTransition, InvalidValue
from tests.support.factories import BY

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CALENDAR = WorkingCalendar()


def account(*charges: dict) -> BillingAccount:
    a = BillingAccount("c-1", name="张三", province="GD", by=BY)
    for charge in charges:
        a.post_charge(charge, "c-1", AT, BY)
    return a


def sent_bill(amount: int = 1000) -> CustomerBill:
    bill = account({"kind": "oneTime", "amount": amount}).bill("2026-11", CALENDAR, AT, BY)
    assert bill is not None
    bill.send(AT, BY)
    return bill


def test_one_account_per_customer_by_derived_id():
    assert account().id == account_id_for("c-1") != account_id_for("c-2")


@pytest.mark.parametrize(
    "cycle, due",
    [
        ("2026-11", date(2026, 12, 21)),  # 20 Dec 2026 is a Sunday
        ("2026-12", date(2027, 1, 20)),  # across the year end
        ("2027-01", date(2027, 2, 22)),  # 20 Feb 2027 is a Saturday
    ],
)
def test_due_on_the_20th_of_the_next_month_or_the_next_working_day(cycle, due):
    assert cycle_due_date(cycle, CALENDAR) == due


def test_a_holiday_on_the_20th_moves_the_due_date():
    holiday = WorkingCalendar.from_text("2027-01-20")
    assert cycle_due_date("2026-12", holiday) == date(2027, 1, 21)


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-11-01", 202611, None, "2026/11"])
def test_cycles_are_yyyy_mm(bad):
    with pytest.raises(InvalidValue):
        parse_cycle(bad)


def test_cycle_arithmetic():
    assert cycle_of(date(2026, 11, 23)) == "2026-11"
    assert cycle_of(date(2026, 11, 23), 6) == "2026-05"
    assert cycle_of(date(2026, 2, 1), 3) == "2025-11"


@pytest.mark.parametrize(
    "charge, field",
    [
        ({"kind": "yearly", "amount": 100}, "kind"),
        ({"amount": 100}, "kind"),
        ({"kind": "oneTime"}, "amount"),
        ({"kind": "oneTime", "amount": 0}, "amount"),
        ({"kind": "oneTime", "amount": -1}, "amount"),
        ({"kind": "oneTime", "amount": 1.5}, "amount"),
        ({"kind": "oneTime", "amount": True}, "amount"),
        ({"kind": "monthly", "amount": 1, "reference": "x" * 65}, "reference"),
        ("100", "charge"),
    ],
)
def test_bad_charges_are_refused_and_record_nothing(charge, field):
    a = account()
    with pytest.raises(InvalidValue) as refused:
        a.post_charge(charge, "c-1", AT, BY)
    assert refused.value.field == field
    assert a.version == 1 and not a.collect_events()[1:]


def test_a_cycle_bills_one_time_charges_once_and_monthly_fees_every_month():
    a = account({"kind": "oneTime", "amount": 20000}, {"kind": "monthly", "amount": 9900})
    november = a.bill("2026-11", CALENDAR, AT, BY)
    december = a.bill("2026-12", CALENDAR, AT, BY)
    assert (november.amount_due, december.amount_due) == (29900, 9900)
    assert a.outstanding == 39800 and a.unbilled_amount == 0
    with pytest.raises(Conflict) as again:
        a.bill("2026-11", CALENDAR, AT, BY)
    assert again.value.details["existing_id"] == str(november.id)


def test_nothing_to_bill_makes_no_bill():
    assert account().bill("2026-11", CALENDAR, AT, BY) is None


def test_bill_states_new_sent_partially_paid_settled():
    bill = account({"kind": "oneTime", "amount": 1000}).bill("2026-11", CALENDAR, AT, BY)
    assert bill.state == BillState.NEW
    with pytest.raises(IllegalTransition) as unsent:
        bill.apply_payment(uuid4(), 100, AT, BY)
    assert unsent.value.details["current_state"] == "new"
    bill.send(AT, BY)
    with pytest.raises(IllegalTransition):
        bill.send(AT, BY)
    assert bill.apply_payment(uuid4(), 400, AT, BY) == 400
    assert (bill.state, bill.remaining) == ("partiallyPaid", 600)
    with pytest.raises(IllegalTransition) as resend:
        bill.send(AT, BY)
    assert resend.value.details["current_state"] == "partiallyPaid"
    bill.apply_payment(uuid4(), 600, AT, BY)
    assert (bill.state, bill.remaining) == ("settled", 0)
    for refused in (lambda: bill.send(AT, BY), lambda: bill.apply_payment(uuid4(), 1, AT, BY)):
        with pytest.raises(IllegalTransition) as settled:
            refused()
        assert settled.value.details["current_state"] == "settled"


@pytest.mark.parametrize("amount", [1001, 0, -1, 10.0, "10", None])
def test_over_payment_and_bad_amounts_change_nothing(amount):
    bill = sent_bill(1000)
    version = bill.version
    with pytest.raises(InvalidValue) as refused:
        bill.apply_payment(uuid4(), amount, AT, BY)
    assert refused.value.field == "totalAmount.value"
    assert (bill.version, bill.remaining, bill.state) == (version, 1000, "sent")


def test_payment_methods():
    assert parse_method(None) == "cash"
    assert parse_method("alipay") == "alipay"
    with pytest.raises(InvalidValue):
        parse_method("cheque")


def test_every_event_carries_the_operator():
    a = account({"kind": "monthly", "amount": 100})
    bill = a.bill("2026-11", CALENDAR, AT, BY)
    bill.send(AT, BY)
    events = [*a.collect_events(), *bill.collect_events()]
    assert events and all(e.by == BY for e in events)


def test_one_point_billing_keeps_the_delivering_province_for_settlement():
    """R-21: billed once by the home province; HQ apportions each line to the province that delivered."""
    a = account(
        {"kind": "oneTime", "amount": 500}, {"kind": "monthly", "amount": 300, "deliveringProvince": "bj"}
    )
    bill = a.bill("2026-11", CALENDAR, AT, BY)
    assert [(line["deliveringProvince"], line["amount"]) for line in bill.lines] == [("GD", 500), ("BJ", 300)]
    with pytest.raises(InvalidValue) as refused:
        a.post_charge({"kind": "oneTime", "amount": 1, "deliveringProvince": "XX"}, "c-1", AT, BY)
    assert refused.value.field == "deliveringProvince"
