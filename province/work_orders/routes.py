"""TMF641 Service Ordering: our work orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.work_orders.schemas import (
    ServiceOrder,
    WorkOrderPatch,
)
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator
from shared.domain.work_order import WorkKind, WorkState

work = APIRouter(prefix="/tmf-api/serviceOrdering/v4", tags=["serviceOrder"])

WorkFields = Annotated[Selection, selectable(ServiceOrder)]


@work.get(
    "/serviceOrder",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=list[ServiceOrder],
    summary="List work orders",
)
def list_work_orders(
    app: ProvinceApp,
    fields: WorkFields,
    paging: PagingQuery,
    state: WorkState | None = Query(None),
    order_id: str | None = Query(None, alias="productOrder.id", max_length=64),
    kind: WorkKind | None = Query(None, alias="category"),
    home_province: str | None = province_query(
        "Work forwarded from the order of this province (R-19).", alias="homeProvince"
    ),
) -> JSONResponse:
    return page_response(
        app.work_orders.list_work_orders(
            state=state.value if state else None,
            order_id=order_id,
            kind=kind.value if kind else None,
            home_province=home_province,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@work.get(
    "/serviceOrder/{work_id}",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=ServiceOrder,
    summary="One work order",
)
def get_work_order(work_id: str, app: ProvinceApp, fields: WorkFields) -> Response:
    return one(app.work_orders.get_work_order(work_id), fields)


@work.patch(
    "/serviceOrder/{work_id}",
    response_model=ServiceOrder,
    summary="Start, complete or fail a work order",
    description="Body: {state: inProgress|held|pending|completed|failed|rejected, stateReason}; rejected and failed "
    "need a stateReason (it reaches the home order and the customer manager), and a new one for the state the work "
    "order is already in is a 409. Work orders run in sequence; resource confirmation may reject (no resources, "
    "no coverage). Completing a leg's last one "
    "completes it; for a local order that completes the order and posts its charges in the same transaction, for "
    "work forwarded from another province the state goes back to it through HQ.",
)
def patch_work_order(
    work_id: str, body: WorkOrderPatch, app: ProvinceApp, by: Operator = acting(P.WORK_ORDERS)
) -> Response:
    return one(app.work_orders.change_work_order(work_id, body, by))


router = work
