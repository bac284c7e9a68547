"""TMF621 Trouble Ticket, and the overdue-callback worklist across tickets and orders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from shared.api.common import (
    Paging,
    crm_app,
    idempotent_create,
    page_response,
)
from shared.domain.ticket import TicketPriority, TicketStatus, TicketType
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

tickets = APIRouter(prefix="/tmf-api/troubleTicket/v4", tags=["troubleTicket"])
worklists = APIRouter(prefix="/crm/v1", tags=["worklists"])


@tickets.post("/troubleTicket", status_code=201, summary="Open a complaint or fault ticket")
def create_ticket(
    body: dict[str, Any] = Body(..., examples=[{
        "ticketType": "fault", "description": "专线中断", "severity": "major",
        "relatedParty": [{"id": "<customer id>", "role": "customer"}]}]),
    by: dict[str, str] = acting(P.WRITE_TICKETS),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.open_ticket(body, by, key))


@tickets.get("/troubleTicket", dependencies=[reading(P.READ_TICKETS)], summary="List tickets")
def list_tickets(
    paging: Paging = Depends(),
    status: TicketStatus | None = Query(None),
    ticket_type: TicketType | None = Query(None, alias="ticketType"),
    priority: TicketPriority | None = Query(None),
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    callback_overdue: bool | None = Query(None, alias="callbackOverdue",
                                          description="true: resolved, callback due before now and not done"),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_tickets(
        status=status.value if status else None, ticket_type=ticket_type.value if ticket_type else None,
        priority=priority.value if priority else None, customer_id=customer_id, callback_overdue=callback_overdue,
        offset=paging.offset, limit=paging.limit))


@tickets.get("/troubleTicket/{ticket_id}", dependencies=[reading(P.READ_TICKETS)], summary="One ticket")
def get_ticket(ticket_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_ticket(ticket_id)


@tickets.patch(
    "/troubleTicket/{ticket_id}", summary="Change a ticket's status (JSON merge patch)",
    description="Body: {status, statusChangeReason, resolution}. acknowledged → inProgress → resolved → closed; "
    "resolved → inProgress reopens; closing needs the callback first.",
)
def patch_ticket(
    ticket_id: str,
    body: dict[str, Any] = Body(..., examples=[{"status": "resolved", "resolution": "replaced the line card"}]),
    by: dict[str, str] = acting(P.WRITE_TICKETS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.change_ticket(ticket_id, body, by)


@tickets.post("/troubleTicket/{ticket_id}/callback", summary="Record the callback after resolution (回访)")
def ticket_callback(
    ticket_id: str,
    body: dict[str, Any] = Body(..., examples=[{"result": "fault cleared, customer satisfied", "satisfied": True}]),
    by: dict[str, str] = acting(P.WRITE_TICKETS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.record_ticket_callback(ticket_id, body, by)


@worklists.get("/overdueCallback", dependencies=[reading(P.READ_TICKETS)], summary="Callbacks overdue: orders (7 days) and tickets (3 days)")
def overdue_callbacks(paging: Paging = Depends(), app: Any = Depends(crm_app)) -> JSONResponse:
    return page_response(app.overdue_callbacks(paging.offset, paging.limit))


router = APIRouter()
router.include_router(tickets)
router.include_router(worklists)
