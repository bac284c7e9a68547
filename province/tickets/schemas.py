"""TMF621 TroubleTicket with the callback (回访), and the overdue-callback worklist."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.api.models import (
    CustomerSummary,
    Identified,
    Part,
    Reference,
    RelatedParty,
    RelatedPartyInput,
    RequestBody,
    Resource,
)
from shared.domain.ticket import TicketSeverity, TicketStatus, TicketType
from shared.domain.values import MAX_NAME, MAX_TEXT


class TicketCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticketType": "fault",
                    "description": "专线中断",
                    "severity": "major",
                    "relatedParty": [{"id": "<customer id>", "role": "customer"}],
                }
            ]
        }
    )
    ticketType: TicketType
    name: str | None = Field(None, max_length=MAX_NAME)
    description: str = Field(max_length=MAX_TEXT)
    severity: TicketSeverity | None = None
    relatedParty: list[RelatedPartyInput] = Field(
        min_length=1, max_length=20, description="The first entry names the customer."
    )


class TicketPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "resolved", "resolution": "replaced the line card"}]}
    )
    status: TicketStatus
    statusChangeReason: str | None = Field(None, max_length=MAX_TEXT)
    resolution: str | None = Field(None, max_length=MAX_TEXT)


class StatusChange(Part):
    status: str
    changeDate: str | None = None
    changeReason: str | None = None


class TroubleTicket(Identified):
    name: str | None = None
    description: str | None = None
    ticketType: str | None = None
    priority: str | None = None
    severity: str | None = None
    channel: Reference | None = None
    status: str | None = None
    creationDate: str | None = None
    expectedResolutionDate: str | None = None
    resolutionDate: str | None = None
    resolution: str | None = None
    statusChangeDate: str | None = None
    statusChangeReason: str | None = None
    statusChange: list[StatusChange] | None = None
    relatedParty: list[RelatedParty] | None = None
    customerGrade: str | None = None
    callbackDue: str | None = None
    callback: dict[str, object] | None = None
    lastUpdate: str | None = None
    version: int | None = None


class OverdueCallback(Resource):
    """A completed order (7 days) or resolved ticket (3 days) still waiting for its callback."""

    id: str
    href: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")
    customer: CustomerSummary | None = None
    callbackDue: str | None = None
