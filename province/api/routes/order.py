"""TMF622 Product Ordering and TMF641 Service Ordering (our work orders)."""

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
from shared.domain.order import OrderState, SlaClass
from shared.domain.work_order import WorkKind, WorkState
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

orders = APIRouter(prefix="/tmf-api/productOrderingManagement/v4", tags=["productOrder"])
work = APIRouter(prefix="/tmf-api/serviceOrdering/v4", tags=["serviceOrder"])

ORDER_EXAMPLE = {
    "relatedParty": [{"id": "<customer id>", "role": "customer", "@referredType": "Customer"}],
    "productOrderItem": [{"id": "1", "action": "add", "quantity": 1, "productOffering": {"id": "PO-DC-2M"}}],
    "slaClass": "urgent",
    "acceptanceKind": "newInstall",
    "description": "2M circuit for the Guangzhou office",
}


@orders.post(
    "/productOrder", status_code=201, summary="Accept an order",
    description="Splits the order into three work orders (resourceConfirmation, provisioning, billingSetup) per "
    "delivering province; the due date follows the SLA class in working days (R-16). An item delivered in another "
    "province names it in `deliveringProvince` (or is for a `groupMember` living there): HQ forwards it there, and "
    "the order follows that province's work as HQ relays it (R-19).",
)
def create_order(
    body: dict[str, Any] = Body(..., examples=[ORDER_EXAMPLE]),
    by: dict[str, str] = acting(P.WRITE_ORDERS),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.place_order(body, by, key))


@orders.get("/productOrder", dependencies=[reading(P.READ_ORDERS)], summary="List orders")
def list_orders(
    paging: Paging = Depends(),
    state: OrderState | None = Query(None),
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    sla_class: SlaClass | None = Query(None, alias="slaClass"),
    sla_overdue: bool | None = Query(None, alias="slaOverdue", description="Due date passed, not finished."),
    callback_overdue: bool | None = Query(None, alias="callbackOverdue", description="Callback due and not done."),
    cross_province: bool | None = Query(None, alias="crossProvince",
                                        description="true: orders with items delivered in other provinces (R-19)."),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(
        app.list_orders(
            state=state.value if state else None, customer_id=customer_id,
            sla_class=sla_class.value if sla_class else None, sla_overdue=sla_overdue,
            callback_overdue=callback_overdue, cross_province=cross_province, offset=paging.offset,
            limit=paging.limit,
        )
    )


@orders.get("/productOrder/{order_id}", dependencies=[reading(P.READ_ORDERS)], summary="One order")
def get_order(order_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_order(order_id)


@orders.patch(
    "/productOrder/{order_id}", summary="Move an order to another state (JSON merge patch)",
    description="Body: {state, stateReason}. Completion comes from the work orders; cancellation from "
    "cancelProductOrder. An illegal transition is a 409 naming the current state.",
)
def patch_order(
    order_id: str,
    body: dict[str, Any] = Body(..., examples=[{"state": "held", "stateReason": "customer site not ready"}]),
    by: dict[str, str] = acting(P.WRITE_ORDERS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.change_order(order_id, body, by)


@orders.post(
    "/productOrder/{order_id}/callback", summary="Record the callback after completion (回访, R-17)",
    description="Body: {result, satisfied}. Allowed once, after completion; the callback is due 7 days after "
    "completion, and `GET productOrder?callbackOverdue=true` lists completed orders still waiting for it.",
)
def order_callback(
    order_id: str,
    body: dict[str, Any] = Body(..., examples=[{"result": "satisfied with the installation", "satisfied": True}]),
    by: dict[str, str] = acting(P.WRITE_ORDERS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.record_order_callback(order_id, body, by)


@orders.post("/cancelProductOrder", status_code=201, summary="Cancel an order (TMF622 CancelProductOrder)")
def cancel_order(
    body: dict[str, Any] = Body(..., examples=[{"productOrder": {"id": "<order id>"}, "cancellationReason": "customer withdrew"}]),
    by: dict[str, str] = acting(P.WRITE_ORDERS),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.cancel_order(body, by, key))


@orders.get("/cancelProductOrder", dependencies=[reading(P.READ_ORDERS)], summary="List cancellations")
def list_cancellations(paging: Paging = Depends(), app: Any = Depends(crm_app)) -> JSONResponse:
    return page_response(app.list_cancellations(paging.offset, paging.limit))


@orders.get("/cancelProductOrder/{cancellation_id}", dependencies=[reading(P.READ_ORDERS)], summary="One cancellation")
def get_cancellation(cancellation_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_cancellation(cancellation_id)


@work.get("/serviceOrder", dependencies=[reading(P.READ_ORDERS)], summary="List work orders")
def list_work_orders(
    paging: Paging = Depends(),
    state: WorkState | None = Query(None),
    order_id: str | None = Query(None, alias="productOrder.id", max_length=64),
    kind: WorkKind | None = Query(None, alias="category"),
    home_province: str | None = Query(None, alias="homeProvince", min_length=2, max_length=2,
                                      description="Work forwarded from the order of this province (R-19)."),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(
        app.list_work_orders(
            state=state.value if state else None, order_id=order_id, kind=kind.value if kind else None,
            home_province=home_province.upper() if home_province else None, offset=paging.offset,
            limit=paging.limit,
        )
    )


@work.get("/serviceOrder/{work_id}", dependencies=[reading(P.READ_ORDERS)], summary="One work order")
def get_work_order(work_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_work_order(work_id)


@work.patch(
    "/serviceOrder/{work_id}", summary="Start, complete or fail a work order",
    description="Body: {state: inProgress|held|pending|completed|failed|rejected, stateReason}. Work orders run "
    "in sequence; resource confirmation may reject (no resources, no coverage). Completing a leg's last one "
    "completes it; for a local order that completes the order and posts its charges in the same transaction, for "
    "work forwarded from another province the state goes back to it through HQ.",
)
def patch_work_order(
    work_id: str,
    body: dict[str, Any] = Body(..., examples=[{"state": "inProgress"}, {"state": "completed"}]),
    by: dict[str, str] = acting(P.WORK_ORDERS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.change_work_order(work_id, body, by)


router = APIRouter()
router.include_router(orders)
router.include_router(work)
