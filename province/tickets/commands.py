"""Trouble-ticket commands and queries, and the overdue-callback list (R-17, R-24)."""

from __future__ import annotations

from province.customers import CustomerCommands
from province.customers.commands import ensure_manages
from province.tickets.documents import BASE, CUSTOMER_BASE, ORDER_BASE, ticket_document, utc_or_none
from province.tickets.schemas import TicketCreate, TicketPatch
from shared.api.models import Callback
from shared.application import CrmApplication, IdempotencyKey, Outcome
from shared.domain.customer import Customer, CustomerStatus
from shared.domain.errors import IllegalTransition
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.ticket import TroubleTicket
from shared.persistence.queries import Filter, Page, equal

CALLBACK_OVERDUE = "(callback_due IS NOT NULL AND callback_due < ? AND callback_at IS NULL)"


class TicketCommands:
    """Trouble tickets of this province's customers and their callbacks."""

    def __init__(self, store: CrmApplication, *, customers: CustomerCommands) -> None:
        self.store = store
        self.customers = customers

    def open_ticket(
        self, data: TicketCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        customer = self._ticket_customer(data, by)
        ticket = TroubleTicket.open(
            customer_id=str(customer.id),
            customer_name=customer.name,
            grade=customer.grade,
            ticket_type=data.ticketType.value,
            name=data.name,
            description=data.description,
            severity=None if data.severity is None else data.severity.value,
            opened_at=self.store.clock(),
            by=by,
        )
        document = ticket_document(ticket)
        self.store.record(ticket, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def _ticket_customer(self, data: TicketCreate, by: Operator) -> Customer:
        field = "relatedParty[0].id"  # the schema requires at least one entry, each with an id
        customer = self.customers.load_customer(data.relatedParty[0].id, field, referenced=True)
        ensure_manages(customer, by)
        if customer.status == CustomerStatus.CLOSED.value:
            raise IllegalTransition(
                "a closed customer cannot open tickets", field=field, current_state=customer.status
            )
        return customer

    def change_ticket(self, ticket_id: str, patch: TicketPatch, by: Operator) -> JSONObject:
        ticket = self.store.load(TroubleTicket, ticket_id)
        ensure_manages(self.store.load(Customer, ticket.customer_id), by)
        ticket.change_status(
            patch.status.value, patch.statusChangeReason, patch.resolution, self.store.clock(), by
        )
        self.store.record(ticket)
        return ticket_document(ticket)

    def record_ticket_callback(self, ticket_id: str, data: Callback, by: Operator) -> JSONObject:
        ticket = self.store.load(TroubleTicket, ticket_id)
        ticket.record_callback(data.result, data.satisfied, self.store.clock(), by)
        self.store.record(ticket)
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
            now = utc_or_none(self.store.clock())
            filters.append(
                Filter(CALLBACK_OVERDUE if callback_overdue else f"NOT {CALLBACK_OVERDUE}", (now,))
            )
        return self.store.queries.page(
            "trouble_ticket", filters, offset=offset, limit=limit, order_by="created_at, id"
        )

    def get_ticket(self, ticket_id: str) -> JSONObject:
        return self.store.document("trouble_ticket", ticket_id, "trouble ticket")

    def overdue_callbacks(self, offset: int = 0, limit: int = 100) -> Page:
        """回访 overdue (R-17): completed orders past 7 days and resolved tickets past 3 days, oldest first."""
        now = utc_or_none(self.store.clock())
        parts = [
            (
                "SELECT id, 'troubleTicket' AS kind, customer_id, callback_due FROM {trouble_ticket} "
                f"WHERE {CALLBACK_OVERDUE}"
            )
        ]
        if "product_order" in self.store.schema.tables:
            parts.append(
                "SELECT id, 'productOrder' AS kind, customer_id, callback_due FROM {product_order} "
                f"WHERE {CALLBACK_OVERDUE}"
            )
        union = " UNION ALL ".join(parts)
        params = [now] * len(parts)
        total = self.store.queries.rows(f"SELECT COUNT(*) AS n FROM ({union}) AS due", params)[0]["n"]
        rows = self.store.queries.rows(
            f"{union} ORDER BY callback_due, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        base = {"troubleTicket": BASE, "productOrder": ORDER_BASE}
        customers = self.customers.customer_summaries(r["customer_id"] for r in rows)
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
