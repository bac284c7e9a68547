"""TMF622 ProductOrder and CancelProductOrder, TMF641 ServiceOrder (our work orders), with our extensions."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, StrictInt

from shared.api.models import (
    Identified,
    Reference,
    ReferenceInput,
    RelatedPartyInput,
    RequestBody,
)
from shared.domain.order import AcceptanceKind, SlaClass
from shared.domain.values import MAX_TEXT

# TMF622/TMF641 order state values: the domain decides which moves it allows (a refused one is a 409).
TmfOrderState = Literal[
    "acknowledged",
    "rejected",
    "pending",
    "held",
    "inProgress",
    "cancelled",
    "completed",
    "failed",
    "partial",
    "assessingCancellation",
    "pendingCancellation",
]
PROVINCE_CODE = "A province code such as BJ."


class OrderItemInput(RequestBody):
    id: str | int | None = Field(None, description="Unique within the order; 1, 2, … when left out.")
    action: Literal["add"] = Field(
        "add",
        description="Only add (a new product): no product inventory is kept to modify or delete against.",
    )
    quantity: StrictInt = Field(1, ge=1, le=1000)
    productOffering: ReferenceInput | None = Field(None, description="Required: the offering ordered.")
    deliveringProvince: str | None = Field(None, max_length=2, description=PROVINCE_CODE)
    groupMember: ReferenceInput | None = Field(
        None, description="The member of the ordering group it is for."
    )
    at_type: str | None = Field(None, alias="@type", max_length=64)


class OrderCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "relatedParty": [
                        {"id": "<customer id>", "role": "customer", "@referredType": "Customer"}
                    ],
                    "productOrderItem": [
                        {"id": "1", "action": "add", "quantity": 1, "productOffering": {"id": "PO-DC-2M"}}
                    ],
                    "slaClass": "urgent",
                    "acceptanceKind": "newInstall",
                    "description": "2M circuit for the Guangzhou office",
                }
            ]
        }
    )
    relatedParty: list[RelatedPartyInput] = Field(
        max_length=20, description="Names the customer (role customer)."
    )
    productOrderItem: list[OrderItemInput] = Field(min_length=1, max_length=50)
    slaClass: SlaClass | None = None
    acceptanceKind: AcceptanceKind | None = None
    description: str | None = Field(None, max_length=MAX_TEXT)
    deliveringProvince: str | None = Field(None, max_length=2, description=PROVINCE_CODE)
    at_type: str | None = Field(None, alias="@type", max_length=64)


class OrderPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"state": "held", "stateReason": "site not ready"}]}
    )
    state: TmfOrderState
    stateReason: str | None = Field(None, max_length=MAX_TEXT)


class CancelOrderCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"productOrder": {"id": "<order id>"}, "cancellationReason": "customer withdrew"}]
        }
    )
    productOrder: ReferenceInput | None = Field(None, description="Required: the order to cancel.")
    cancellationReason: str | None = Field(None, max_length=MAX_TEXT)


class CancelProductOrder(Identified):
    """TMF622 CancelProductOrder: done, inProgress while delivering provinces answer, or terminatedWithError."""

    state: str | None = None
    cancellationReason: str | None = None
    requestedCancellationDate: str | None = None
    effectiveCancellationDate: str | None = None
    productOrder: Reference | None = None
    awaitingAnswerFrom: list[str] | None = None
    answers: list[dict[str, object]] | None = None
    stateReason: str | None = None
