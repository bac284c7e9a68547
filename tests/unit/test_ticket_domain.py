"""The trouble-ticket aggregate on its own (R-7, R-17, R-24): no store, no web."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.ticket import (
    ALLOWED_TICKET_TRANSITIONS,
    CALLBACK_WITHIN,
    TicketStatus,
    TroubleTicket,
)
from tests.support.factories import BY

AGENT = replace(BY, actor="li.si", channel="callCentre")  # tickets come in at the call centre
FRIDAY = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def opened(grade: str = "3A", **extra) -> TroubleTicket:
    fields = {
        "customer_id": "c-1",
        "customer_name": "张三",
        "grade": grade,
        "ticket_type": "fault",
        "name": None,
        "description": "专线中断",
        "opened_at": FRIDAY,
        "by": AGENT,
    }
    fields.update(extra)
    return TroubleTicket.open(**fields)


def resolution_for(target: str) -> str | None:
    """A resolution goes with resolving, and only with it."""
    return "fixed" if target == "resolved" else None


def in_state(state: str) -> TroubleTicket:
    """A ticket driven to `state`; "calledBack" is resolved with its callback recorded."""
    t = opened()
    path = {
        "acknowledged": [],
        "rejected": ["rejected"],
        "inProgress": ["inProgress"],
        "resolved": ["inProgress", "resolved"],
        "calledBack": ["inProgress", "resolved"],
        "closed": ["inProgress", "resolved", "closed"],
    }[state]
    for step in path:
        if step == "closed":
            t.record_callback("ok", True, FRIDAY, AGENT)
        t.change_status(step, None, resolution_for(step), FRIDAY, AGENT)
    if state == "calledBack":
        t.record_callback("ok", True, FRIDAY, AGENT)
    return t


@pytest.mark.parametrize(
    "grade, priority", [("1A", "critical"), ("2A", "high"), ("3A", "medium"), ("4A", "low"), ("5A", "low")]
)
def test_priority_and_resolution_target_follow_the_grade(grade, priority):
    t = opened(grade)
    assert t.priority == priority and t.status == "acknowledged" and t.channel == "callCentre"
    assert (
        t.expected_resolution - FRIDAY
        == {
            "critical": timedelta(hours=4),
            "high": timedelta(hours=8),
            "medium": timedelta(hours=24),
            "low": timedelta(hours=48),
        }[priority]
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ticket_type": "praise"}, "ticketType"),
        ({"ticket_type": None}, "ticketType"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "  "}, "description"),
        ({"description": 42}, "description"),
        ({"severity": "catastrophic"}, "severity"),
        ({"grade": "6A"}, "grade"),
        ({"name": "n" * 129}, "name"),
    ],
)
def test_bad_openings_are_refused(change, field):
    with pytest.raises(InvalidValue) as refused:
        opened(**change)
    assert refused.value.field == field


def test_severity_is_optional_and_does_not_change_priority():
    assert opened().severity == ""
    t = opened("5A", severity="critical")
    assert (t.severity, t.priority) == ("critical", "low")


STATES = ["acknowledged", "inProgress", "resolved", "calledBack", "closed", "rejected"]


@pytest.mark.parametrize("state", STATES)
def test_every_illegal_transition_is_refused_and_records_nothing(state):
    current = "resolved" if state == "calledBack" else state
    allowed = {s.value for s in ALLOWED_TICKET_TRANSITIONS[TicketStatus(current)]}
    if state == "resolved":
        allowed.discard("closed")  # not before the callback
    for target in (s.value for s in TicketStatus):
        t = in_state(state)
        t.collect_events()
        if target == current:
            t.change_status(target, None, resolution_for(target), FRIDAY, AGENT)
            assert t.collect_events() == []  # the same state again is a no-op
        elif target in allowed:
            t.change_status(target, "why", resolution_for(target), FRIDAY, AGENT)
            assert t.status == target and len(t.collect_events()) == 1
        else:
            with pytest.raises(IllegalTransition) as refused:
                t.change_status(target, "why", "fixed", FRIDAY, AGENT)
            assert refused.value.details["current_state"] == current and refused.value.field == "status"
            assert t.status == current and t.collect_events() == []


def test_resolution_records_its_time_and_a_callback_due_three_calendar_days_later():
    t = in_state("inProgress")
    with pytest.raises(InvalidValue) as missing:
        t.change_status("resolved", None, None, FRIDAY, AGENT)
    assert missing.value.field == "resolution"
    resolved_at = FRIDAY + timedelta(hours=5)
    t.change_status("resolved", "fixed on site", "换了板卡", resolved_at, AGENT)
    assert t.resolved_at == resolved_at and t.resolution == "换了板卡"
    assert (
        t.callback_due == resolved_at + timedelta(days=3) == resolved_at + CALLBACK_WITHIN
    )  # over the weekend


def test_callback_only_once_and_only_when_resolved_then_close():
    early = in_state("inProgress")
    with pytest.raises(IllegalTransition) as refused:
        early.record_callback("ok", True, FRIDAY, AGENT)
    assert refused.value.details["current_state"] == "inProgress"
    t = in_state("resolved")
    with pytest.raises(IllegalTransition):
        t.change_status("closed", None, None, FRIDAY, AGENT)
    for result, satisfied, field in [
        ("ok", "yes", "satisfied"),
        ("", True, "result"),
        ("r" * 2001, False, "result"),
    ]:
        with pytest.raises(InvalidValue) as bad:
            t.record_callback(result, satisfied, FRIDAY, AGENT)
        assert bad.value.field == field
    t.record_callback("已恢复", False, FRIDAY + timedelta(days=1), AGENT)
    assert t.callback == {
        "result": "已恢复",
        "satisfied": False,
        "at": (FRIDAY + timedelta(days=1)).isoformat(),
        "by": AGENT.as_dict(),
    }
    with pytest.raises(IllegalTransition):
        t.record_callback("again", True, FRIDAY, AGENT)
    t.change_status("closed", "callback done", None, FRIDAY + timedelta(days=1), AGENT)
    assert t.status == "closed"


def test_reopening_forgets_resolution_time_and_callback():
    t = in_state("calledBack")
    t.change_status("inProgress", "fault came back", None, FRIDAY, AGENT)
    assert (t.resolved_at, t.callback_due, t.callback) == (None, None, None)
    assert [c["status"] for c in t.changes] == ["acknowledged", "inProgress", "resolved", "inProgress"]


def test_every_event_says_who_when_and_why_and_replays_to_the_same_ticket():
    t = in_state("closed")
    events = t.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Opened",
        "StatusChanged",
        "Resolved",
        "CallbackRecorded",
        "StatusChanged",
    ]
    assert all(e.by == AGENT for e in events)
    assert all(e.at == FRIDAY for e in events[1:])
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    assert replayed.__dict__ == t.__dict__
