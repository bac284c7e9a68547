"""Trouble tickets as TMF621 documents (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.domain.json_types import JSONObject
from shared.domain.ticket import TroubleTicket

BASE = "/tmf-api/troubleTicket/v4/troubleTicket"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
ORDER_BASE = "/tmf-api/productOrderingManagement/v4/productOrder"


def utc_or_none(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def ticket_document(t: TroubleTicket) -> JSONObject:
    """TMF621 TroubleTicket with the callback (回访) as an extension."""
    doc: dict[str, Any] = {
        "id": str(t.id),
        "href": f"{BASE}/{t.id}",
        "@type": "TroubleTicket",
        "name": t.name or None,
        "description": t.description,
        "ticketType": t.ticket_type,
        "priority": t.priority,
        "severity": t.severity or None,
        "channel": {"id": t.channel, "name": t.channel} if t.channel else None,
        "status": t.status,
        "creationDate": utc_or_none(t.opened_at),
        "expectedResolutionDate": utc_or_none(t.expected_resolution),
        "resolutionDate": utc_or_none(t.resolved_at),
        "resolution": t.resolution or None,
        "statusChangeDate": t.changes[-1]["changeDate"],
        "statusChangeReason": t.changes[-1]["changeReason"] or None,
        "statusChange": [
            {"status": c["status"], "changeDate": c["changeDate"], "changeReason": c["changeReason"]}
            for c in t.changes
        ],
        "relatedParty": [
            {
                "id": t.customer_id,
                "name": t.customer_name,
                "role": "customer",
                "href": f"{CUSTOMER_BASE}/{t.customer_id}",
                "@referredType": "Customer",
            }
        ],
        "customerGrade": t.grade,
        "callbackDue": utc_or_none(t.callback_due),
        "callback": t.callback,
        "lastUpdate": t.modified_on.isoformat(),
        "version": t.version,
    }
    return {k: v for k, v in doc.items() if v is not None}
