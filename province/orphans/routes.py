"""`/replication/orphans`: what HQ sent that this province could not apply, because what it refers to is not held
here (lost in a restore)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from province.api.deps import ProvinceApp
from shared.api.common import PagingQuery, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.security import reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/replication", tags=["replication"])


class Orphan(BaseModel):
    """An upstream's record kept here instead of applied: what it refers to is not held here (lost in a restore)."""

    id: str
    upstream: str
    position: int = Field(description="The record's position in the upstream's log")
    eventType: str = Field(description="e.g. CrossProvinceOrder.LegProgressed")
    referredType: str = Field(description="What it refers to: ProductOrder, DeliveryLeg")
    referredId: str
    orderId: str = Field(description="The order it is about")
    province: str | None = Field(None, description="The other province named in the record, if any")
    upstreamRecordedAt: str | None = Field(None, description="When the upstream recorded it")
    recordedAt: str = Field(description="When this node kept it as an orphan")
    reason: str


@router.get(
    "/orphans",
    dependencies=[reading(P.READ_REPLICATION)],
    response_model=list[Orphan],
    summary="Upstream records this node kept as orphans: they refer to an order or leg it does not "
    "hold (after a restore), so they were recorded, not applied, and the follower went on",
)
def orphans(
    app: ProvinceApp,
    paging: PagingQuery,
    fields: Annotated[Selection, selectable(Orphan)],
    upstream: str | None = province_query("Only what this upstream sent", alias="upstream", hq=True),
    order_id: str | None = Query(None, alias="orderId", max_length=64),
) -> Response:
    page = app.orphans.list_orphans(upstream, order_id, paging.offset, paging.limit)
    return page_response(page, fields=fields)
