"""TMF622 Product Ordering: orders and their cancellations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.orders.schemas import (
    CancelOrderCreate,
    CancelProductOrder,
    OrderCreate,
    OrderPatch,
)
from shared.api.common import IdempotencyHeader, PagingQuery, idempotent_create, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.models import Callback
from shared.api.order import ProductOrder
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator
from shared.domain.order import OrderState, SlaClass

orders = APIRouter(prefix="/tmf-api/productOrderingManagement/v4", tags=["productOrder"])

OrderFields = Annotated[Selection, selectable(ProductOrder)]
CancellationFields = Annotated[Selection, selectable(CancelProductOrder)]


@orders.post(
    "/productOrder",
    status_code=201,
    response_model=ProductOrder,
    summary="Accept an order",
    description="Splits the order into three work orders (resourceConfirmation, provisioning, billingSetup) per "
    "delivering province; the due date follows the SLA class in working days (R-16). An item delivered in another "
    "province names it in `deliveringProvince` (or is for a `groupMember` living there): HQ forwards it there, and "
    "the order follows that province's work as HQ relays it (R-19). A province HQ's route table does not list (no "
    "node serves it) is a 400 naming `deliveringProvince`.",
)
def create_order(
    body: OrderCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.WRITE_ORDERS),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.orders.place_order(body, by, key)
    )


@orders.get(
    "/productOrder",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=list[ProductOrder],
    summary="List orders",
)
def list_orders(
    app: ProvinceApp,
    fields: OrderFields,
    paging: PagingQuery,
    state: OrderState | None = Query(None),
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    sla_class: SlaClass | None = Query(None, alias="slaClass"),
    sla_overdue: bool | None = Query(None, alias="slaOverdue", description="Due date passed, not finished."),
    callback_overdue: bool | None = Query(
        None, alias="callbackOverdue", description="Callback due and not done."
    ),
    cross_province: bool | None = Query(
        None,
        alias="crossProvince",
        description="true: orders with items delivered in other provinces (R-19).",
    ),
) -> JSONResponse:
    return page_response(
        app.orders.list_orders(
            state=state.value if state else None,
            customer_id=customer_id,
            sla_class=sla_class.value if sla_class else None,
            sla_overdue=sla_overdue,
            callback_overdue=callback_overdue,
            cross_province=cross_province,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@orders.get(
    "/productOrder/{order_id}",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=ProductOrder,
    summary="One order",
)
def get_order(order_id: str, app: ProvinceApp, fields: OrderFields) -> Response:
    return one(app.orders.get_order(order_id), fields)


@orders.patch(
    "/productOrder/{order_id}",
    response_model=ProductOrder,
    summary="Move an order to another state (JSON merge patch)",
    description="Body: {state, stateReason}; rejected and failed need a stateReason. Completion comes from the work "
    "orders; cancellation from cancelProductOrder. An illegal transition is a 409 naming the current state, as is a "
    "new stateReason for the state the order is already in.",
)
def patch_order(
    order_id: str, body: OrderPatch, app: ProvinceApp, by: Operator = acting(P.WRITE_ORDERS)
) -> Response:
    return one(app.orders.change_order(order_id, body, by))


@orders.post(
    "/productOrder/{order_id}/callback",
    response_model=ProductOrder,
    summary="Record the callback after completion (回访, R-17)",
    description="Body: {result, satisfied}. Allowed once, after completion; the callback is due 7 days after "
    "completion, and `GET productOrder?callbackOverdue=true` lists completed orders still waiting for it.",
)
def order_callback(
    order_id: str, body: Callback, app: ProvinceApp, by: Operator = acting(P.WRITE_ORDERS)
) -> Response:
    return one(app.orders.record_order_callback(order_id, body, by))


@orders.post(
    "/cancelProductOrder",
    status_code=201,
    response_model=CancelProductOrder,
    summary="Cancel an order (TMF622 CancelProductOrder)",
)
def cancel_order(
    body: CancelOrderCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.WRITE_ORDERS),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.orders.cancel_order(body, by, key)
    )


@orders.get(
    "/cancelProductOrder",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=list[CancelProductOrder],
    summary="List cancellations",
)
def list_cancellations(app: ProvinceApp, fields: CancellationFields, paging: PagingQuery) -> JSONResponse:
    return page_response(app.orders.list_cancellations(paging.offset, paging.limit), fields=fields)


@orders.get(
    "/cancelProductOrder/{cancellation_id}",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=CancelProductOrder,
    summary="One cancellation",
)
def get_cancellation(cancellation_id: str, app: ProvinceApp, fields: CancellationFields) -> Response:
    return one(app.orders.get_cancellation(cancellation_id), fields)


router = orders
