"""R-16 rules on their own: due dates in working days, surcharge, compensation and its cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.domain.calendar import WorkingCalendar, business_date
from shared.domain.catalog import OfferingTerms
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.order import (
    ALLOWED_ORDER_TRANSITIONS,
    OrderState,
    ProductOrder,
    SlaClass,
    compensation,
    due_working_days,
    percent_of,
)
from tests.support.factories import BY

DC = OfferingTerms("DC", "circuit", "basic", "released", 100_000, 50_000, "digitalCircuit")
DDN = OfferingTerms("DDN", "ddn", "basic", "released", 1_001, 900, "ddn")
PLAIN = OfferingTerms("BB", "broadband", "basic", "released", 10_000, 9_900, None)
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.mark.parametrize(
    "sla, circuits, days",
    [
        (SlaClass.URGENT, ["digitalCircuit"], 5),
        (SlaClass.URGENT, ["ddn"], 8),
        (SlaClass.URGENT, ["frAtm"], 8),
        (SlaClass.EXPEDITED, ["digitalCircuit"], 10),
        (SlaClass.EXPEDITED, ["ddn"], 13),
        (SlaClass.EXPEDITED, ["frAtm"], 13),
        (SlaClass.NORMAL, ["digitalCircuit"], 20),
        (SlaClass.NORMAL, ["ddn"], 20),
        (SlaClass.NORMAL, ["frAtm"], 20),
        (SlaClass.URGENT, [None], 5),
        (SlaClass.URGENT, ["digitalCircuit", "ddn"], 8),
    ],
)
def test_due_working_days_table(sla, circuits, days):
    assert due_working_days(sla, circuits) == days


def accept(sla="urgent", offerings=None, at=MONDAY, calendar=WorkingCalendar()):
    return ProductOrder.accept(
        customer_id="c",
        customer_name="n",
        province="GD",
        offerings=offerings or [("1", DC, 1)],
        acceptance_kind="newInstall",
        sla_class=sla,
        description="",
        channel="web",
        accepted_at=at,
        calendar=calendar,
        by=BY,
    )


def test_due_date_skips_weekends_and_holidays():
    assert accept("urgent").due_date == date(2026, 11, 30)  # Mon + 5 working days
    holidays = WorkingCalendar.from_text("2026-11-24,2026-11-25")
    assert accept("urgent", calendar=holidays).due_date == date(2026, 12, 2)
    worked_saturday = WorkingCalendar.from_text("", "2026-11-28")
    assert accept("urgent", calendar=worked_saturday).due_date == date(2026, 11, 28)


def test_business_date_is_beijing_time():
    assert business_date(datetime(2026, 11, 22, 17, 0, tzinfo=UTC)) == date(2026, 11, 23)


@pytest.mark.parametrize("sla, expected", [("urgent", 150_000), ("expedited", 130_000), ("normal", 100_000)])
def test_one_time_fee_surcharge(sla, expected):
    assert accept(sla).one_time_fee == expected
    assert accept(sla).monthly_fee == 50_000


def test_surcharge_rounds_half_up_in_fen():
    assert percent_of(1_001, 150) == 1_502  # 1501.5 → 1502
    assert accept("urgent", [("1", DDN, 1)]).one_time_fee == 1_502


def test_compensation_per_late_working_day_and_cap():
    assert compensation(SlaClass.URGENT, 150_000, 0) == 0
    assert compensation(SlaClass.URGENT, 150_000, 3) == 22_500
    assert compensation(SlaClass.EXPEDITED, 130_000, 2) == 13_000
    assert compensation(SlaClass.NORMAL, 100_000, 4) == 8_000
    assert compensation(SlaClass.URGENT, 150_000, 25) == 150_000  # capped at the one-time fee
    assert compensation(SlaClass.NORMAL, 100_000, 80) == 100_000


def test_late_completion_counts_working_days_only():
    order = accept("urgent")  # due Mon 30 Nov
    order.move_to("inProgress", "", MONDAY, BY)
    finished = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # next Monday: 5 working days late
    order.complete(finished, WorkingCalendar(), {"id": "M1", "name": "王"}, BY)
    assert order.completion["lateWorkingDays"] == 5
    assert order.completion["compensation"] == 37_500
    assert order.completion["notice"]["to"] == "M1"
    assert [c["amount"] for c in order.charges()] == [150_000 - 37_500, 50_000]


def test_every_transition_not_in_the_table_is_refused():
    for current, allowed in ALLOWED_ORDER_TRANSITIONS.items():
        for target in OrderState:
            if target in allowed or target is current or target is OrderState.COMPLETED:
                continue
            order = accept()
            order.state = current.value  # place the order in the state under test
            with pytest.raises(IllegalTransition) as refused:
                order.move_to(target.value, "", MONDAY, BY)
            assert refused.value.details["current_state"] == current.value


def test_unknown_sla_class_and_acceptance_kind():
    with pytest.raises(InvalidValue) as bad:
        accept("superfast")
    assert bad.value.field == "slaClass"
    with pytest.raises(InvalidValue):
        ProductOrder.accept(
            customer_id="c",
            customer_name="n",
            province="GD",
            offerings=[("1", DC, 1)],
            acceptance_kind="teleport",
            sla_class="normal",
            description="",
            channel="web",
            accepted_at=MONDAY,
            calendar=WorkingCalendar(),
            by=BY,
        )


def test_accept_refuses_no_items_and_unreleased_terms():
    with pytest.raises(InvalidValue) as empty:
        ProductOrder.accept(
            customer_id="c",
            customer_name="n",
            province="GD",
            offerings=[],
            acceptance_kind=None,
            sla_class=None,
            description=None,
            channel="web",
            accepted_at=MONDAY,
            calendar=WorkingCalendar(),
            by=BY,
        )
    assert empty.value.field == "productOrderItem"
    retired = OfferingTerms("OLD", "isdn", "basic", "retired", 1, 1, None)
    with pytest.raises(InvalidValue) as bad:
        accept(offerings=[("1", DC, 1), ("2", retired, 1)])
    assert bad.value.field == "productOrderItem[1].productOffering.id"


def test_defaults_and_completion_time_in_utc():
    order = ProductOrder.accept(
        customer_id="c",
        customer_name="n",
        province="GD",
        offerings=[("1", PLAIN, 2)],
        acceptance_kind=None,
        sla_class=None,
        description=None,
        channel="web",
        accepted_at=MONDAY,
        calendar=WorkingCalendar(),
        by=BY,
    )
    assert (order.sla_class, order.acceptance_kind) == ("normal", "newInstall")
    assert order.one_time_fee == 20_000 and order.monthly_fee == 19_800
    assert order.due_date == date(2026, 12, 21)  # normal, no circuit type: digital-circuit column, 20 days
    order.move_to("inProgress", "", MONDAY, BY)
    beijing = timezone(timedelta(hours=8))
    order.complete(datetime(2026, 12, 1, 10, 0, tzinfo=beijing), WorkingCalendar(), None, BY)
    assert order.completion["callbackDue"] == "2026-12-08T02:00:00+00:00"
    assert order.completion["notice"]["to"] is None


def test_cancellation_goes_through_the_tmf_steps():
    order = accept()
    order.move_to("assessingCancellation", "asked", MONDAY, BY)
    order.cancel("agreed", MONDAY, BY)
    assert [h["state"] for h in order.history] == [
        "acknowledged",
        "assessingCancellation",
        "pendingCancellation",
        "cancelled",
    ]
    with pytest.raises(IllegalTransition) as again:
        order.cancel("", MONDAY, BY)
    assert again.value.details["current_state"] == "cancelled"
