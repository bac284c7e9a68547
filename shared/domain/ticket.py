"""Trouble ticket (投诉/故障申告, TMF621, R-7, R-17, R-24): priority from grade, states, callback before close.

Rules, as decided here:
- priority comes from the customer's grade when the ticket is opened (1A critical, 2A high, 3A medium,
  4A and 5A low; TMF621's example names) and is not changed by a later regrading; severity (critical,
  major, minor) is the optional reporter's view of the impact and does not change the priority.
- states (TMF621 names): acknowledged → inProgress → resolved → closed; acknowledged → rejected (not ours);
  resolved → inProgress reopens (the fix did not hold) and forgets the resolution's callback; closed and
  rejected are final. Asking for the current state again is a no-op that records nothing; a reason or
  resolution sent with it that differs from the one on record is refused (409), and a resolution goes only
  with resolving (400 otherwise).
- the callback (回访, R-17) is due 3 calendar days (72 hours) after resolution, for faults and complaints
  alike: the customer is called whatever the day, so working days are not used.
- a resolved ticket is closed only after its callback (result, satisfied, who, when) is recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import TypedDict

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.operator import Operator
from shared.domain.records import Callback
from shared.domain.values import MAX_TEXT, Grade, parse_enum, repeated_move, text


class TicketType(str, Enum):
    COMPLAINT = "complaint"  # 投诉
    FAULT = "fault"  # 故障申告


class StatusChange(TypedDict):
    """One entry of a ticket's TMF621 statusChange list, with who made it."""

    status: str
    changeDate: str  # ISO 8601, UTC
    changeReason: str
    by: dict[str, str]  # Operator.as_dict()


class TicketStatus(str, Enum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"


T = TicketStatus
ALLOWED_TICKET_TRANSITIONS = {
    T.ACKNOWLEDGED: frozenset({T.IN_PROGRESS, T.REJECTED}),
    T.IN_PROGRESS: frozenset({T.RESOLVED}),
    T.RESOLVED: frozenset({T.CLOSED, T.IN_PROGRESS}),  # reopened when the fix did not hold
    T.CLOSED: frozenset(),
    T.REJECTED: frozenset(),
}


class TicketPriority(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TicketSeverity(str, Enum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


P = TicketPriority
# the grade drives service priority; 1A (five stars) is served first.
PRIORITY_OF_GRADE = {
    "1A": P.CRITICAL.value,
    "2A": P.HIGH.value,
    "3A": P.MEDIUM.value,
    "4A": P.LOW.value,
    "5A": P.LOW.value,
}
RESOLUTION_TARGET = {
    P.CRITICAL.value: timedelta(hours=4),
    P.HIGH.value: timedelta(hours=8),
    P.MEDIUM.value: timedelta(hours=24),
    P.LOW.value: timedelta(hours=48),
}
CALLBACK_WITHIN = timedelta(days=3)  # call back within 3 days after a fault is handled


def parse_ticket_type(value: object) -> TicketType:
    return parse_enum(TicketType, value, "ticketType")


def parse_status(value: object) -> TicketStatus:
    return parse_enum(TicketStatus, value, "status")


def parse_severity(value: object) -> str:
    return "" if value is None else parse_enum(TicketSeverity, value, "severity").value


class TroubleTicket(Aggregate):
    @classmethod
    def open(
        cls,
        *,
        customer_id: str,
        customer_name: str,
        grade: str,
        ticket_type: object,
        name: object,
        description: object,
        opened_at: datetime,
        by: Operator,
        severity: object = None,
    ) -> TroubleTicket:
        priority = PRIORITY_OF_GRADE[Grade.parse(grade).value]
        return cls(
            customer_id=customer_id,
            customer_name=customer_name,
            grade=grade,
            ticket_type=parse_ticket_type(ticket_type).value,
            name=text(name, "name", required=False),
            description=text(description, "description", max_length=MAX_TEXT),
            priority=priority,
            severity=parse_severity(severity),
            expected_resolution=opened_at + RESOLUTION_TARGET[priority],
            opened_at=opened_at,
            by=by,
        )

    class Opened(Aggregate.Created):
        customer_id: str
        customer_name: str
        grade: str
        ticket_type: str
        name: str
        description: str
        priority: str
        expected_resolution: datetime
        opened_at: datetime
        by: Operator
        severity: str

    @event(Opened)
    def __init__(
        self,
        *,
        customer_id: str,
        customer_name: str,
        grade: str,
        ticket_type: str,
        name: str,
        description: str,
        priority: str,
        expected_resolution: datetime,
        opened_at: datetime,
        by: Operator,
        severity: str = "",
    ) -> None:
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.grade = grade
        self.ticket_type = ticket_type
        self.name = name
        self.description = description
        self.priority = priority
        self.severity = severity
        self.channel = by.channel  # where the complaint or fault came in
        self.expected_resolution = expected_resolution
        self.opened_at = opened_at
        self.status = TicketStatus.ACKNOWLEDGED.value
        self.changes: list[StatusChange] = [
            {
                "status": self.status,
                "changeDate": opened_at.isoformat(),
                "changeReason": "opened",
                "by": by.as_dict(),
            }
        ]
        self.resolution = ""
        self.resolved_at: datetime | None = None
        self.callback_due: datetime | None = None
        self.callback: Callback | None = None

    def change_status(
        self, status: object, reason: object, resolution: object, at: datetime, by: Operator
    ) -> None:
        target = parse_status(status)
        current = TicketStatus(self.status)
        if target is current:  # nothing to record: nor a reason or resolution that would be lost
            repeated_move(current.value, self.changes[-1]["changeReason"], reason, "statusChangeReason")
            if target is TicketStatus.RESOLVED:
                repeated_move(current.value, self.resolution, resolution, "resolution")
        elif target not in ALLOWED_TICKET_TRANSITIONS[current]:
            raise IllegalTransition(
                f"a {current.value} ticket cannot become {target.value}",
                field="status",
                current_state=current.value,
            )
        elif target is TicketStatus.CLOSED and self.callback is None:
            raise IllegalTransition(
                "record the customer callback (回访) before closing",
                field="status",
                current_state=current.value,
            )
        if resolution is not None and target is not TicketStatus.RESOLVED:
            raise InvalidValue(
                f"is given when the ticket is resolved, not when it becomes {target.value}",
                field="resolution",
            )
        if target is current:
            return
        why = text(reason, "statusChangeReason", max_length=MAX_TEXT, required=False)
        if target is TicketStatus.RESOLVED:
            self._resolved(
                resolution=text(resolution, "resolution", max_length=MAX_TEXT),
                reason=why,
                at=at,
                callback_due=at + CALLBACK_WITHIN,
                by=by,
            )
        else:
            self._status_changed(status=target.value, reason=why, at=at, by=by)

    class StatusChanged(Aggregate.Event):
        status: str
        reason: str
        at: datetime
        by: Operator

    @event(StatusChanged)
    def _status_changed(self, status: str, reason: str, at: datetime, by: Operator) -> None:
        if status == TicketStatus.IN_PROGRESS.value and self.status == TicketStatus.RESOLVED.value:
            self.resolved_at, self.callback_due, self.callback = None, None, None  # reopened
        self.status = status
        self.changes.append(
            {"status": status, "changeDate": at.isoformat(), "changeReason": reason, "by": by.as_dict()}
        )

    class Resolved(Aggregate.Event):
        resolution: str
        reason: str
        at: datetime
        callback_due: datetime
        by: Operator

    @event(Resolved)
    def _resolved(
        self, resolution: str, reason: str, at: datetime, callback_due: datetime, by: Operator
    ) -> None:
        self.status = TicketStatus.RESOLVED.value
        self.resolution = resolution
        self.resolved_at = at
        self.callback_due = callback_due
        self.changes.append(
            {"status": self.status, "changeDate": at.isoformat(), "changeReason": reason, "by": by.as_dict()}
        )

    def record_callback(self, result: object, satisfied: object, at: datetime, by: Operator) -> None:
        if self.status != TicketStatus.RESOLVED.value:
            raise IllegalTransition(
                "a ticket is called back once resolved", field="result", current_state=self.status
            )
        if self.callback is not None:
            raise IllegalTransition(
                "the callback is already recorded", field="result", current_state=self.status
            )
        if not isinstance(satisfied, bool):
            raise InvalidValue("must be true or false", field="satisfied")
        self._callback_recorded(
            result=text(result, "result", max_length=MAX_TEXT), satisfied=satisfied, at=at, by=by
        )

    class CallbackRecorded(Aggregate.Event):
        result: str
        satisfied: bool
        at: datetime
        by: Operator

    @event(CallbackRecorded)
    def _callback_recorded(self, result: str, satisfied: bool, at: datetime, by: Operator) -> None:
        self.callback = {"result": result, "satisfied": satisfied, "at": at.isoformat(), "by": by.as_dict()}
