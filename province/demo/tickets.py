"""Demo tickets in every state, one resolved long enough ago to need its callback."""

from __future__ import annotations

from typing import Any

PLAN = (("fault", "acknowledged"), ("complaint", "inProgress"), ("fault", "resolved"),
        ("complaint", "closed"), ("fault", "rejected"))


def load(app: Any, context: dict[str, Any], by: dict[str, str]) -> dict[str, int]:
    customers = [c for c in context["customers"] if app.get_customer(c["id"])["status"] != "closed"]
    for n, (kind, target) in enumerate(PLAN):
        customer = customers[n % len(customers)]
        ticket = app.open_ticket({"ticketType": kind, "description": f"demo {kind} {n + 1}",
                                  "relatedParty": [{"id": customer["id"], "role": "customer"}]}, by)
        steps = {
            "acknowledged": [], "rejected": [{"status": "rejected", "statusChangeReason": "not our network"}],
            "inProgress": [{"status": "inProgress"}],
            "resolved": [{"status": "inProgress"}, {"status": "resolved", "resolution": "line card replaced"}],
            "closed": [{"status": "inProgress"}, {"status": "resolved", "resolution": "apologised, refunded"}],
        }[target]
        for step in steps:
            app.change_ticket(ticket["id"], step, by)
        if target == "closed":
            app.record_ticket_callback(ticket["id"], {"result": "satisfied", "satisfied": True}, by)
            app.change_ticket(ticket["id"], {"status": "closed"}, by)
    return {"tickets": len(PLAN)}
