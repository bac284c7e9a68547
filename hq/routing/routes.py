"""HQ's cross-province order desk (R-26): every order one province accepted for another to deliver (TMF622, read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.order import ProductOrder
from shared.api.security import reading
from shared.auth.roles import Permission as P
from shared.domain.order import OrderState

router = APIRouter(prefix="/tmf-api/productOrderingManagement/v4", tags=["cross-province order desk"])

OrderFields = Annotated[Selection, selectable(ProductOrder)]


@router.get(
    "/productOrder",
    dependencies=[reading(P.READ_NATIONAL)],
    response_model=list[ProductOrder],
    summary="Cross-province orders: route, each item's state, age, due date, overdue",
)
def list_orders(
    app: HqApp,
    fields: OrderFields,
    paging: PagingQuery,
    home_province: str | None = province_query("Where the order was accepted.", alias="homeProvince"),
    delivering_province: str | None = province_query(
        "A province delivering part of it.", alias="deliveringProvince"
    ),
    state: OrderState | None = Query(None, description="The order's state in its home province."),
    overdue: bool | None = Query(None, description="true: past its due date and not finished."),
) -> JSONResponse:
    return page_response(
        app.routing.list_cross_province_orders(
            home=home_province,
            delivering=delivering_province,
            state=state.value if state else None,
            overdue=overdue,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@router.get(
    "/productOrder/{order_id}",
    dependencies=[reading(P.READ_NATIONAL)],
    response_model=ProductOrder,
    summary="One cross-province order (the home province's order id)",
)
def get_order(order_id: str, app: HqApp, fields: OrderFields) -> Response:
    return one(app.routing.get_cross_province_order(order_id), fields)
