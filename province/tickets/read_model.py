"""The trouble-ticket read model."""

from __future__ import annotations

from province.tickets.documents import ticket_document, utc_or_none
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.ticket import TroubleTicket
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table(
        "trouble_ticket",
        (
            ("status", "TEXT"),
            ("customer_id", "TEXT"),
            ("ticket_type", "TEXT"),
            ("priority", "TEXT"),
            ("callback_due", "TEXT"),
            ("callback_at", "TEXT"),
            ("created_at", "TEXT"),
        ),
        indexes=("status", "customer_id", "callback_due"),
    ),
)


def project_ticket(t: TroubleTicket) -> list[Operation]:
    return [
        Upsert(
            "trouble_ticket",
            {
                "id": str(t.id),
                "status": t.status,
                "customer_id": t.customer_id,
                "ticket_type": t.ticket_type,
                "priority": t.priority,
                "callback_due": utc_or_none(t.callback_due),
                "callback_at": t.callback["at"] if t.callback else None,
                "created_at": utc_or_none(t.opened_at),
                "doc": ticket_document(t),
            },
        )
    ]


PROJECTORS = {TroubleTicket: project_ticket}

AUDITED = (AuditedResource("troubleTicket", (TroubleTicket,), P.READ_TICKETS),)
