"""TMF622 Product Ordering and TMF641 Service Ordering (our work orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.api.models.order import (
    CancelOrderCreate,
    CancelProductOrder,
    OrderCreate,
    OrderPatch,
    ServiceOrder,
    WorkOrderPatch,
)
from shared.api.common import IdempotencyHeader, PagingQuery, idempotent_create, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.models import Callback
from shared.api.order import ProductOrder
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator
from shared.domain.order import OrderState, SlaClass
from shared.domain.work_order import WorkKind, WorkState

orders = APIRouter(prefix="/tmf-api/productOrderingManagement/v4", tags=["productOrder"])
work = APIRouter(prefix="/tmf-api/serviceOrdering/v4", tags=["serviceOrder"])

OrderFields = Annotated[Selection, selectable(ProductOrder)]
CancellationFields = Annotated[Selection, selectable(CancelProductOrder)]
WorkFields = Annotated[Selection, selectable(ServiceOrder)]


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
    data = body.as_command()
    return idempotent_create(app, idempotency_key, data, lambda key: app.place_order(data, by, key))


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
        app.list_orders(
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
    return one(app.get_order(order_id), fields)


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
    return one(app.change_order(order_id, body.as_command(), by))


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
    return one(app.record_order_callback(order_id, body.as_command(), by))


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
    data = body.as_command()
    return idempotent_create(app, idempotency_key, data, lambda key: app.cancel_order(data, by, key))


@orders.get(
    "/cancelProductOrder",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=list[CancelProductOrder],
    summary="List cancellations",
)
def list_cancellations(app: ProvinceApp, fields: CancellationFields, paging: PagingQuery) -> JSONResponse:
    return page_response(app.list_cancellations(paging.offset, paging.limit), fields=fields)


@orders.get(
    "/cancelProductOrder/{cancellation_id}",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=CancelProductOrder,
    summary="One cancellation",
)
def get_cancellation(cancellation_id: str, app: ProvinceApp, fields: CancellationFields) -> Response:
    return one(app.get_cancellation(cancellation_id), fields)


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
        app.list_work_orders(
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
    return one(app.get_work_order(work_id), fields)


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
    return one(app.change_work_order(work_id, body.as_command(), by))


router = APIRouter()
router.include_router(orders)
router.include_router(work)
