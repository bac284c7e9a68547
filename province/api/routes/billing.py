"""TMF666 billing accounts, TMF678 customer bills, TMF676 payments."""

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
from shared.domain.billing import BillState
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

accounts = APIRouter(prefix="/tmf-api/accountManagement/v4", tags=["billingAccount"])
bills = APIRouter(prefix="/tmf-api/customerBillManagement/v4", tags=["customerBill"])
payments = APIRouter(prefix="/tmf-api/paymentManagement/v4", tags=["payment"])


@accounts.get("/billingAccount", dependencies=[reading(P.READ_BILLING)], summary="List billing accounts")
def list_accounts(
    paging: Paging = Depends(),
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    has_arrears: bool | None = Query(None, alias="hasArrears"),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_accounts(customer_id=customer_id, has_arrears=has_arrears,
                                           offset=paging.offset, limit=paging.limit))


@accounts.get("/billingAccount/{account_id}", dependencies=[reading(P.READ_BILLING)], summary="One account with its arrears")
def get_account(account_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_account(account_id)


@bills.post("/customerBillOnDemand", status_code=201, summary="Bill one account for a cycle (YYYY-MM) now")
def bill_on_demand(
    body: dict[str, Any] = Body(..., examples=[{"billingAccount": {"id": "<account id>"}, "billingCycle": "2026-11"}]),
    by: dict[str, str] = acting(P.RUN_BILLING),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.bill_on_demand(body, by, key))


@bills.get("/customerBill", dependencies=[reading(P.READ_BILLING)], summary="List bills")
def list_bills(
    paging: Paging = Depends(),
    state: BillState | None = Query(None),
    account_id: str | None = Query(None, alias="billingAccount.id", max_length=64),
    cycle: str | None = Query(None, alias="billingCycle", max_length=7),
    overdue: bool | None = Query(None, description="Past due with money still owed (arrears)."),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_bills(state=state.value if state else None, account_id=account_id, cycle=cycle,
                                        overdue=overdue, offset=paging.offset, limit=paging.limit))


@bills.get("/customerBill/{bill_id}", dependencies=[reading(P.READ_BILLING)], summary="One bill (online 6 months, lines 3 months; replay=true for any age)")
def get_bill(
    bill_id: str,
    replay: bool = Query(False, description="Rebuild the bill from the event store, whatever its age."),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.get_bill(bill_id, replay)


@bills.patch("/customerBill/{bill_id}", summary="Send a bill: {state: sent}")
def patch_bill(
    bill_id: str,
    body: dict[str, Any] = Body(..., examples=[{"state": "sent"}]),
    by: dict[str, str] = acting(P.RUN_BILLING),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.change_bill(bill_id, body, by)


@bills.get("/arrearsReminder", dependencies=[reading(P.READ_BILLING)], summary="Arrears reminders (催缴): overdue unpaid bills, oldest first")
def arrears(paging: Paging = Depends(), app: Any = Depends(crm_app)) -> JSONResponse:
    return page_response(app.arrears_reminders(paging.offset, paging.limit))


@payments.post("/payment", status_code=201, summary="Pay a bill (over-payment and settled bills refused)")
def pay(
    body: dict[str, Any] = Body(..., examples=[{"bill": {"id": "<bill id>"}, "totalAmount": {"unit": "fen", "value": 10000},
                                                 "paymentMethod": "wechatPay"}]),
    by: dict[str, str] = acting(P.TAKE_PAYMENTS),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.pay(body, by, key))


@payments.get("/payment", dependencies=[reading(P.READ_BILLING)], summary="List payments")
def list_payments(
    paging: Paging = Depends(),
    account_id: str | None = Query(None, alias="account.id", max_length=64),
    bill_id: str | None = Query(None, alias="bill.id", max_length=64),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_payments(account_id=account_id, bill_id=bill_id,
                                           offset=paging.offset, limit=paging.limit))


@payments.get("/payment/{payment_id}", dependencies=[reading(P.READ_BILLING)], summary="One payment")
def get_payment(payment_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_payment(payment_id)


router = APIRouter()
for part in (accounts, bills, payments):
    router.include_router(part)


@bills.get("/customerBillOnDemand/{request_id}", dependencies=[reading(P.READ_BILLING)],
           summary="One bill-on-demand request (its Location)")
def get_bill_on_demand(request_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_bill_on_demand(request_id)
