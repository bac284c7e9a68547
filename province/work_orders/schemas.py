"""TMF641 ServiceOrder (our work orders) and the moves staff make on them."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from province.orders.schemas import TmfOrderState
from shared.api.models import Identified, RelatedParty, RequestBody
from shared.domain.values import MAX_TEXT


class WorkOrderPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"state": "inProgress"}, {"state": "completed"}]}
    )
    state: TmfOrderState
    stateReason: str | None = Field(None, max_length=MAX_TEXT)


class ServiceOrder(Identified):
    """TMF641 ServiceOrder: one unit's task of an order; remote work names its home order and customer."""

    state: str | None = None
    category: str | None = None
    description: str | None = None
    orderDate: str | None = None
    externalReference: list[dict[str, object]] | None = None
    serviceOrderItem: list[dict[str, object]] | None = None
    productOrder: dict[str, object] | None = None
    workKind: str | None = None
    sequence: int | None = None
    deliveringProvince: str | None = None
    homeProvince: str | None = None
    relatedParty: list[RelatedParty] | None = None
    productOrderItem: list[dict[str, object]] | None = None
    errorMessage: list[dict[str, object]] | None = None
    stateHistory: list[dict[str, object]] | None = None
    version: int | None = None
