"""TMF666 billing accounts, TMF678 customer bills, TMF676 payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.billing.schemas import (
    ArrearsReminder,
    BillingAccount,
    BillOnDemandCreate,
    BillPatch,
    CustomerBill,
    CustomerBillOnDemand,
    Payment,
    PaymentCreate,
)
from shared.api.common import IdempotencyHeader, PagingQuery, idempotent_create, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import month_query
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.billing import BillState
from shared.domain.operator import Operator

accounts = APIRouter(prefix="/tmf-api/accountManagement/v4", tags=["billingAccount"])
bills = APIRouter(prefix="/tmf-api/customerBillManagement/v4", tags=["customerBill"])
payments = APIRouter(prefix="/tmf-api/paymentManagement/v4", tags=["payment"])

AccountFields = Annotated[Selection, selectable(BillingAccount)]
BillFields = Annotated[Selection, selectable(CustomerBill)]
PaymentFields = Annotated[Selection, selectable(Payment)]
ReminderFields = Annotated[Selection, selectable(ArrearsReminder)]


@accounts.get(
    "/billingAccount",
    dependencies=[reading(P.READ_BILLING)],
    response_model=list[BillingAccount],
    summary="List billing accounts",
)
def list_accounts(
    app: ProvinceApp,
    fields: AccountFields,
    paging: PagingQuery,
    customer_id: str | None = Query(None, alias="relatedParty.id", max_length=64),
    has_arrears: bool | None = Query(None, alias="hasArrears"),
) -> JSONResponse:
    return page_response(
        app.billing.list_accounts(
            customer_id=customer_id, has_arrears=has_arrears, offset=paging.offset, limit=paging.limit
        ),
        fields=fields,
    )


@accounts.get(
    "/billingAccount/{account_id}",
    dependencies=[reading(P.READ_BILLING)],
    response_model=BillingAccount,
    summary="One account with its arrears",
)
def get_account(account_id: str, app: ProvinceApp, fields: AccountFields) -> Response:
    return one(app.billing.get_account(account_id), fields)


@bills.post(
    "/customerBillOnDemand",
    status_code=201,
    response_model=CustomerBillOnDemand,
    summary="Bill one account for a cycle (YYYY-MM) now",
)
def bill_on_demand(
    body: BillOnDemandCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.RUN_BILLING),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.billing.bill_on_demand(body, by, key)
    )


@bills.get(
    "/customerBill",
    dependencies=[reading(P.READ_BILLING)],
    response_model=list[CustomerBill],
    summary="List bills",
)
def list_bills(
    app: ProvinceApp,
    fields: BillFields,
    paging: PagingQuery,
    state: BillState | None = Query(None),
    account_id: str | None = Query(None, alias="billingAccount.id", max_length=64),
    cycle: str | None = month_query("The bill's cycle.", alias="billingCycle"),
    overdue: bool | None = Query(None, description="Past due with money still owed (arrears)."),
) -> JSONResponse:
    return page_response(
        app.billing.list_bills(
            state=state.value if state else None,
            account_id=account_id,
            cycle=cycle,
            overdue=overdue,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@bills.get(
    "/customerBill/{bill_id}",
    dependencies=[reading(P.READ_BILLING)],
    response_model=CustomerBill,
    summary="One bill (online 6 months, lines 3 months; replay=true for any age)",
)
def get_bill(
    bill_id: str,
    app: ProvinceApp,
    fields: BillFields,
    replay: bool = Query(False, description="Rebuild the bill from the event store, whatever its age."),
) -> Response:
    return one(app.billing.get_bill(bill_id, replay), fields)


@bills.patch("/customerBill/{bill_id}", response_model=CustomerBill, summary="Send a bill: {state: sent}")
def patch_bill(
    bill_id: str, body: BillPatch, app: ProvinceApp, by: Operator = acting(P.RUN_BILLING)
) -> Response:
    return one(app.billing.change_bill(bill_id, body, by))


@bills.get(
    "/arrearsReminder",
    dependencies=[reading(P.READ_BILLING)],
    response_model=list[ArrearsReminder],
    summary="Arrears reminders (催缴): overdue unpaid bills, oldest first",
)
def arrears(app: ProvinceApp, fields: ReminderFields, paging: PagingQuery) -> JSONResponse:
    return page_response(app.billing.arrears_reminders(paging.offset, paging.limit), fields=fields)


@payments.post(
    "/payment",
    status_code=201,
    response_model=Payment,
    summary="Pay a bill (over-payment and settled bills refused)",
)
def pay(
    body: PaymentCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.TAKE_PAYMENTS),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.billing.pay(body, by, key)
    )


@payments.get(
    "/payment", dependencies=[reading(P.READ_BILLING)], response_model=list[Payment], summary="List payments"
)
def list_payments(
    app: ProvinceApp,
    fields: PaymentFields,
    paging: PagingQuery,
    account_id: str | None = Query(None, alias="account.id", max_length=64),
    bill_id: str | None = Query(None, alias="bill.id", max_length=64),
) -> JSONResponse:
    return page_response(
        app.billing.list_payments(
            account_id=account_id, bill_id=bill_id, offset=paging.offset, limit=paging.limit
        ),
        fields=fields,
    )


@payments.get(
    "/payment/{payment_id}",
    dependencies=[reading(P.READ_BILLING)],
    response_model=Payment,
    summary="One payment",
)
def get_payment(payment_id: str, app: ProvinceApp, fields: PaymentFields) -> Response:
    return one(app.billing.get_payment(payment_id), fields)


router = APIRouter()
for part in (accounts, bills, payments):
    router.include_router(part)


OnDemandFields = Annotated[Selection, selectable(CustomerBillOnDemand)]


@bills.get(
    "/customerBillOnDemand/{request_id}",
    dependencies=[reading(P.READ_BILLING)],
    response_model=CustomerBillOnDemand,
    summary="One bill-on-demand request (its Location)",
)
def get_bill_on_demand(request_id: str, app: ProvinceApp, fields: OnDemandFields) -> Response:
    return one(app.billing.get_bill_on_demand(request_id), fields)
