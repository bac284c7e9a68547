"""HQ's national view of customers registered anywhere (deduplicated), TMF629."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from hq.registry.schemas import NationalCustomer
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, error_responses, selectable
from shared.api.filters import province_query
from shared.api.personal_lookup import PersonalLookup, personal_lookup
from shared.api.security import acting, shown_in_full
from shared.auth.roles import Permission as P
from shared.domain.customer import CustomerKind
from shared.domain.operator import Operator
from shared.domain.values import Grade

router = APIRouter(prefix="/tmf-api/customerManagement/v4", tags=["national customer"])
CustomerFields = Annotated[Selection, selectable(NationalCustomer)]


@router.get(
    "/customer",
    response_model=list[NationalCustomer],
    responses=error_responses(429),
    summary="National customers: high-end individuals (1A–3A) and groups, deduplicated",
)
def list_national(
    app: HqApp,
    fields: CustomerFields,
    paging: PagingQuery,
    by: Annotated[Operator, acting(P.READ_NATIONAL)],
    grade: Grade | None = Query(None),
    industry: str | None = Query(None, max_length=128),
    province: str | None = province_query("A province the customer is registered in."),
    kind: CustomerKind | None = Query(None, alias="customerKind"),
    numbers: PersonalLookup = personal_lookup(
        "Exactly this certificate number: any customer registered anywhere, national or not.",
        "Exactly this phone number (a contact's or a group member's): any customer, national or not.",
    ),
    name: str | None = Query(None, max_length=128, description="Part of the name."),
) -> JSONResponse:
    page = app.registry.list_national_customers(
        grade=grade.value if grade else None,
        industry=industry,
        province=province,
        kind=kind.value if kind else None,
        certificate_number=numbers.certificate_number,
        phone_number=numbers.phone_number,
        name=name,
        offset=paging.offset,
        limit=paging.limit,
    )
    numbers.record(app, "nationalCustomer", [c["id"] for c in page.items], by)
    return page_response(page, fields=fields)


@router.get(
    "/customer/{national_id}",
    response_model=NationalCustomer,
    summary="One national customer with every province's part",
)
def get_national(
    national_id: str,
    app: HqApp,
    fields: CustomerFields,
    unmask: bool = Query(
        False,
        description="Certificate and phone numbers in full (roles that may see personal "
        "data); the read is recorded.",
    ),
    by: Operator = acting(P.READ_NATIONAL),
) -> Response:
    if not unmask:
        return one(app.registry.get_national_customer(national_id), fields)
    return shown_in_full(
        app,
        by,
        "nationalCustomer",
        lambda: app.registry.get_national_customer(national_id, unmask=True),
        lambda doc: [doc["id"]],
        fields,
    )
