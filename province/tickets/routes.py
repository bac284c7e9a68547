"""TMF621 Trouble Ticket, and the overdue-callback worklist across tickets and orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.tickets.schemas import OverdueCallback, TicketCreate, TicketPatch, TroubleTicket
from shared.api.common import IdempotencyHeader, PagingQuery, idempotent_create, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.models import Callback
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator
from shared.domain.ticket import TicketPriority, TicketStatus, TicketType

tickets = APIRouter(prefix="/tmf-api/troubleTicket/v4", tags=["troubleTicket"])
worklists = APIRouter(prefix="/crm/v1", tags=["worklists"])
TicketFields = Annotated[Selection, selectable(TroubleTicket)]
CallbackFields = Annotated[Selection, selectable(OverdueCallback)]


@tickets.post(
    "/troubleTicket",
    status_code=201,
    response_model=TroubleTicket,
    summary="Open a complaint or fault ticket",
)
def create_ticket(
    body: TicketCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.WRITE_TICKETS),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.tickets.open_ticket(body, by, key)
    )


@tickets.get(
    "/troubleTicket",
    dependencies=[reading(P.READ_TICKETS)],
    response_model=list[TroubleTicket],
    summary="List tickets",
)
def list_tickets(
    app: ProvinceApp,
    fields: TicketFields,
    paging: PagingQuery,
    status: TicketStatus | None = Query(None),
    ticket_type: TicketType | None = Query(None, alias="ticketType"),
    priority: TicketPriority | None = Query(None),
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    callback_overdue: bool | None = Query(
        None, alias="callbackOverdue", description="true: resolved, callback due before now and not done"
    ),
) -> JSONResponse:
    return page_response(
        app.tickets.list_tickets(
            status=status.value if status else None,
            ticket_type=ticket_type.value if ticket_type else None,
            priority=priority.value if priority else None,
            customer_id=customer_id,
            callback_overdue=callback_overdue,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@tickets.get(
    "/troubleTicket/{ticket_id}",
    dependencies=[reading(P.READ_TICKETS)],
    response_model=TroubleTicket,
    summary="One ticket",
)
def get_ticket(ticket_id: str, app: ProvinceApp, fields: TicketFields) -> Response:
    return one(app.tickets.get_ticket(ticket_id), fields)


@tickets.patch(
    "/troubleTicket/{ticket_id}",
    response_model=TroubleTicket,
    summary="Change a ticket's status (JSON merge patch)",
    description="Body: {status, statusChangeReason, resolution}. acknowledged → inProgress → resolved → closed; "
    "resolved → inProgress reopens; closing needs the callback first. A resolution goes with resolved only (400 "
    "otherwise); a new reason or resolution for the status the ticket already has is a 409.",
)
def patch_ticket(
    ticket_id: str, body: TicketPatch, app: ProvinceApp, by: Operator = acting(P.WRITE_TICKETS)
) -> Response:
    return one(app.tickets.change_ticket(ticket_id, body, by))


@tickets.post(
    "/troubleTicket/{ticket_id}/callback",
    response_model=TroubleTicket,
    summary="Record the callback after resolution (回访)",
)
def ticket_callback(
    ticket_id: str, body: Callback, app: ProvinceApp, by: Operator = acting(P.WRITE_TICKETS)
) -> Response:
    return one(app.tickets.record_ticket_callback(ticket_id, body, by))


@worklists.get(
    "/overdueCallback",
    dependencies=[reading(P.READ_TICKETS)],
    response_model=list[OverdueCallback],
    summary="Callbacks overdue: orders (7 days) and tickets (3 days)",
)
def overdue_callbacks(app: ProvinceApp, fields: CallbackFields, paging: PagingQuery) -> JSONResponse:
    return page_response(app.tickets.overdue_callbacks(paging.offset, paging.limit), fields=fields)


router = APIRouter()
router.include_router(tickets)
router.include_router(worklists)
