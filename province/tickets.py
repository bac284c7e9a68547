"""Trouble tickets and the overdue-callback list (R-17, R-24): commands and read models."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from province.customers import ensure_manages
from shared.application import IdempotencyKey, Outcome
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.operator import Operator
from shared.domain.ticket import TroubleTicket
from shared.domain.values import only_fields, text
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Operation, Table, Upsert

BASE = "/tmf-api/troubleTicket/v4/troubleTicket"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4/customer"
ORDER_BASE = "/tmf-api/productOrderingManagement/v4/productOrder"

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


def _utc(moment: Any) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def ticket_document(t: TroubleTicket) -> dict[str, Any]:
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
        "creationDate": _utc(t.opened_at),
        "expectedResolutionDate": _utc(t.expected_resolution),
        "resolutionDate": _utc(t.resolved_at),
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
        "callbackDue": _utc(t.callback_due),
        "callback": t.callback,
        "lastUpdate": t.modified_on.isoformat(),
        "version": t.version,
    }
    return {k: v for k, v in doc.items() if v is not None}


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
                "callback_due": _utc(t.callback_due),
                "callback_at": t.callback["at"] if t.callback else None,
                "created_at": _utc(t.opened_at),
                "doc": ticket_document(t),
            },
        )
    ]


PROJECTORS = {TroubleTicket: project_ticket}
CALLBACK_OVERDUE = "(callback_due IS NOT NULL AND callback_due < ? AND callback_at IS NULL)"


class TicketCommands:
    """Mixed into the province application."""

    def open_ticket(
        self, data: dict[str, Any], by: Operator, idempotency: IdempotencyKey | None = None
    ) -> dict[str, Any]:
        customer = self._ticket_customer(data, by)
        ticket = TroubleTicket.open(
            customer_id=str(customer.id),
            customer_name=customer.name,
            grade=customer.grade,
            ticket_type=data.get("ticketType"),
            name=data.get("name"),
            description=data.get("description"),
            severity=data.get("severity"),
            opened_at=self.clock(),
            by=by,
        )
        document = ticket_document(ticket)
        self.record(ticket, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def _ticket_customer(self, data: dict[str, Any], by: Operator) -> Customer:
        parties = data.get("relatedParty")
        if not isinstance(parties, list) or not parties or not isinstance(parties[0], dict):
            raise InvalidValue("is required: a list naming the customer", field="relatedParty")
        field = "relatedParty[0].id"
        customer_id = text(parties[0].get("id"), field, max_length=64)
        customer: Customer = self.load_customer(customer_id, field, referenced=True)
        ensure_manages(customer, by)
        if customer.status == CustomerStatus.CLOSED.value:
            raise IllegalTransition(
                "a closed customer cannot open tickets", field=field, current_state=customer.status
            )
        return customer

    def change_ticket(self, ticket_id: str, patch: dict[str, Any], by: Operator) -> dict[str, Any]:
        allowed = {"status", "statusChangeReason", "resolution"}
        only_fields(patch, allowed)
        if "status" not in patch:
            raise InvalidValue("is required", field="status")
        ticket: TroubleTicket = self.load(TroubleTicket, ticket_id)
        ensure_manages(self.load(Customer, ticket.customer_id), by)
        ticket.change_status(
            patch["status"], patch.get("statusChangeReason"), patch.get("resolution"), self.clock(), by
        )
        self.record(ticket)
        return ticket_document(ticket)

    def record_ticket_callback(self, ticket_id: str, data: dict[str, Any], by: Operator) -> dict[str, Any]:
        ticket: TroubleTicket = self.load(TroubleTicket, ticket_id)
        ticket.record_callback(data.get("result"), data.get("satisfied"), self.clock(), by)
        self.record(ticket)
        return ticket_document(ticket)

    def list_tickets(
        self,
        *,
        status: str | None = None,
        ticket_type: str | None = None,
        priority: str | None = None,
        customer_id: str | None = None,
        callback_overdue: bool | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(
            ("status", status),
            ("ticket_type", ticket_type),
            ("priority", priority),
            ("customer_id", customer_id),
        )
        if callback_overdue is not None:
            now = _utc(self.clock())
            filters.append(
                Filter(CALLBACK_OVERDUE if callback_overdue else f"NOT {CALLBACK_OVERDUE}", (now,))
            )
        return self.queries.page(
            "trouble_ticket", filters, offset=offset, limit=limit, order_by="created_at, id"
        )

    def get_ticket(self, ticket_id: str) -> dict[str, Any]:
        return self.document("trouble_ticket", ticket_id, "trouble ticket")

    def overdue_callbacks(self, offset: int = 0, limit: int = 100) -> Page:
        """回访 overdue (R-17): completed orders past 7 days and resolved tickets past 3 days, oldest first."""
        now = _utc(self.clock())
        parts = [
            (
                "SELECT id, 'troubleTicket' AS kind, customer_id, callback_due FROM {trouble_ticket} "
                f"WHERE {CALLBACK_OVERDUE}"
            )
        ]
        if "product_order" in self.schema.tables:
            parts.append(
                "SELECT id, 'productOrder' AS kind, customer_id, callback_due FROM {product_order} "
                f"WHERE {CALLBACK_OVERDUE}"
            )
        union = " UNION ALL ".join(parts)
        params = [now] * len(parts)
        total = self.queries.rows(f"SELECT COUNT(*) AS n FROM ({union}) AS due", params)[0]["n"]
        rows = self.queries.rows(
            f"{union} ORDER BY callback_due, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        base = {"troubleTicket": BASE, "productOrder": ORDER_BASE}
        customers = self.customer_summaries(r["customer_id"] for r in rows)
        items = [
            {
                "id": r["id"],
                "href": f"{base[r['kind']]}/{r['id']}",
                "@referredType": r["kind"],
                "customer": customers.get(r["customer_id"])
                or {"id": r["customer_id"], "href": f"{CUSTOMER_BASE}/{r['customer_id']}"},
                "callbackDue": r["callback_due"],
            }
            for r in rows
        ]
        return Page(total=int(total), items=items)
