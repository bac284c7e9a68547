"""Demo tickets in every state; two were resolved days ago and still wait for their callback (回访)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from province.tickets.schemas import TicketCreate, TicketPatch
from shared.api.models import Callback
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator

if TYPE_CHECKING:  # the node imports nothing of the demo; the demo only needs its type
    from province.application import ProvinceApplication
    from province.demo.context import DemoContext

RESOLVE = [{"status": "inProgress"}, {"status": "resolved", "resolution": "line card replaced"}]
CALLBACK = {"result": "service restored, customer satisfied", "satisfied": True}
PLAN = (  # (ticket type, severity, target state, days ago it was opened)
    ("fault", "critical", "acknowledged", 0),
    ("complaint", None, "inProgress", 0),
    ("fault", "major", "resolved", 0),  # callback due in 3 days
    ("fault", "major", "resolved", 5),  # callback overdue
    ("complaint", None, "resolved", 6),  # callback overdue
    ("complaint", "minor", "closed", 2),
    ("fault", "minor", "rejected", 1),
    ("fault", None, "reopened", 1),
)


def _days_before(clock: Callable[[], datetime], days: int) -> Callable[[], datetime]:
    return lambda: clock() - timedelta(days=days)


def load(app: ProvinceApplication, context: DemoContext, by: Operator) -> dict[str, int]:
    customers = [
        c
        for c in context["customers"] + context.get("groups", [])
        if app.customers.get_customer(str(c["id"]))["status"] != "closed"
    ]
    clock = app.clock
    try:
        for n, (kind, severity, target, days_ago) in enumerate(PLAN):
            app.clock = _days_before(clock, days_ago)
            _one(app, customers[n % len(customers)], n, kind, severity, target, by)
    finally:
        app.clock = clock
    overdue = app.tickets.list_tickets(callback_overdue=True, limit=1).total
    return {"tickets": len(PLAN), "overdueTicketCallbacks": overdue}


def _one(
    app: ProvinceApplication,
    customer: JSONObject,
    n: int,
    kind: str,
    severity: str | None,
    target: str,
    by: Operator,
) -> None:
    body = {
        "ticketType": kind,
        "description": f"demo {kind} {n + 1}",
        "severity": severity,
        "relatedParty": [{"id": customer["id"], "role": "customer"}],
    }
    ticket_id = str(
        app.tickets.open_ticket(
            TicketCreate.model_validate({k: v for k, v in body.items() if v is not None}), by
        )["id"]
    )
    steps = {
        "acknowledged": [],
        "inProgress": RESOLVE[:1],
        "resolved": RESOLVE,
        "closed": RESOLVE,
        "rejected": [
            {"status": "rejected", "statusChangeReason": "fault is in the customer's own equipment"}
        ],
        "reopened": [*RESOLVE, {"status": "inProgress", "statusChangeReason": "fault came back"}],
    }[target]
    for step in steps:
        app.tickets.change_ticket(ticket_id, TicketPatch.model_validate(step), by)
    if target == "closed":
        app.tickets.record_ticket_callback(ticket_id, Callback.model_validate(CALLBACK), by)
        app.tickets.change_ticket(
            ticket_id,
            TicketPatch.model_validate({"status": "closed", "statusChangeReason": "callback done"}),
            by,
        )
