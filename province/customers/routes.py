"""TMF629 Customer Management: customers and group members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from province.customers.commands import ensure_manages
from province.customers.schemas import Customer, CustomerCreate, CustomerPatch, Member, MemberCreate
from shared.api.common import (
    IdempotencyHeader,
    MaskedJSONResponse,
    PagingQuery,
    idempotent_create,
    location,
    one,
    page_response,
)
from shared.api.contract import Selection, error_responses, selectable
from shared.api.filters import province_query
from shared.api.personal_lookup import PersonalLookup, personal_lookup
from shared.api.security import acting, ensure_may_see_personal_data, reading, shown_in_full
from shared.auth.roles import Permission as P
from shared.auth.roles import Role
from shared.domain.customer import CustomerKind, CustomerStatus
from shared.domain.errors import Conflict, Forbidden, TooManyAttempts
from shared.domain.operator import Operator
from shared.domain.values import Grade

router = APIRouter(prefix="/tmf-api/customerManagement/v4", tags=["customer"])
UNMASK = Query(
    False,
    description="Certificate and phone numbers in full: for roles that may see personal data; "
    "the read is recorded (who saw whose data, when).",
)
CustomerFields = Annotated[Selection, selectable(Customer)]
MemberFields = Annotated[Selection, selectable(Member)]


@router.post(
    "/customer", status_code=201, response_model=Customer, summary="Register a customer (individual or group)"
)
def create_customer(
    body: CustomerCreate,
    app: ProvinceApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.WRITE_CUSTOMERS),
) -> Response:
    wait = app.personal_lookups.waiting(by.actor)  # a refused duplicate confirms a number: it is a lookup too
    if wait:
        raise TooManyAttempts(
            f"too many lookups by certificate or phone number (a registration refused as a "
            f"duplicate is one); try again in {int(wait) + 1} s",
            field="certificate.number",
            retry_after=wait,
        )
    try:
        return idempotent_create(
            app,
            idempotency_key,
            body.as_command(),
            lambda key: app.customers.register_customer(body, by, key),
        )
    except Conflict as duplicate:
        if duplicate.field == "certificate.number":
            app.personal_lookups.take(by.actor)
            app.record_personal_read(
                "customer?certificateNumber", [str(duplicate.details.get("existing_id"))], by
            )
        raise


@router.get(
    "/customer",
    response_model=list[Customer],
    responses=error_responses(429),
    summary="List customers (unmask=true: personal data in full, the read recorded)",
)
def list_customers(
    app: ProvinceApp,
    fields: CustomerFields,
    paging: PagingQuery,
    unmask: bool = UNMASK,
    by: Operator = acting(P.READ_CUSTOMERS),
    status: CustomerStatus | None = Query(None),
    grade: Grade | None = Query(None),
    customer_kind: CustomerKind | None = Query(None, alias="customerKind"),
    manager_id: str | None = Query(None, alias="customerManager.id", max_length=64),
    industry: str | None = Query(None, max_length=128),
    name: str | None = Query(None, max_length=128, description="Part of the name."),
    numbers: PersonalLookup = personal_lookup(
        "Exactly this ID card or credit code number.",
        "Exactly this phone number (a contact's or a group member's).",
    ),
    home_province: str | None = province_query(
        "The province that owns the customer (groups of other provinces "
        "with members here are listed read-only, R-20).",
        alias="homeProvince",
    ),
) -> JSONResponse:
    if unmask:
        ensure_may_see_personal_data(by)
        if by.role == Role.CUSTOMER_MANAGER.value:
            raise Forbidden(
                "a customer manager sees one of their own customers in full at a time", field="unmask"
            )
    if numbers.asked and by.role == Role.CUSTOMER_MANAGER.value:
        manager_id = by.actor  # a customer manager looks up numbers among their own customers only
    page = app.customers.list_customers(
        status=status.value if status else None,
        grade=grade.value if grade else None,
        kind=customer_kind.value if customer_kind else None,
        manager_id=manager_id,
        industry=industry,
        name=name,
        certificate_number=numbers.certificate_number,
        phone_number=numbers.phone_number,
        home_province=home_province,
        offset=paging.offset,
        limit=paging.limit,
        unmask=unmask,
    )
    found = [c["id"] for c in page.items]
    if not numbers.record(app, "customer", found, by) and unmask:  # one record, whichever made it personal
        app.record_personal_read("customer", found, by)
    return page_response(page, unmasked=unmask, fields=fields)


@router.get("/customer/{customer_id}", response_model=Customer, summary="One customer")
def get_customer(
    customer_id: str,
    app: ProvinceApp,
    fields: CustomerFields,
    unmask: bool = UNMASK,
    by: Operator = acting(P.READ_CUSTOMERS),
) -> Response:
    if not unmask:
        return one(app.customers.get_customer(customer_id), fields)
    if by.role == Role.CUSTOMER_MANAGER.value:  # their own customers only
        ensure_manages(app.customers.load_customer(customer_id), by, reading=True)
    return shown_in_full(
        app,
        by,
        "customer",
        lambda: app.customers.get_customer(customer_id, unmask=True),
        lambda doc: [doc["id"]],
        fields,
    )


@router.patch(
    "/customer/{customer_id}",
    response_model=Customer,
    summary="Change a customer (JSON merge patch)",
    description="Patchable: name, status (+statusReason), grade, contactMedium, industry, customerManager. Closing "
    "(status closed) is refused with 409 while the customer still has open orders, active products (monthly fees "
    "billed), unbilled charges or unpaid bills; `stillOpen` lists them.",
)
def patch_customer(
    customer_id: str, body: CustomerPatch, app: ProvinceApp, by: Operator = acting(P.WRITE_CUSTOMERS)
) -> Response:
    return one(app.customers.update_customer(customer_id, body, by))


@router.post(
    "/customer/{customer_id}/member",
    status_code=201,
    response_model=Member,
    summary="Add a member to a group",
)
def add_member(
    customer_id: str, body: MemberCreate, app: ProvinceApp, by: Operator = acting(P.WRITE_CUSTOMERS)
) -> JSONResponse:
    member = app.customers.add_member(customer_id, body, by)
    return MaskedJSONResponse(member, status_code=201, headers=location(str(member["href"])))


@router.get(
    "/customer/{customer_id}/member",
    dependencies=[reading(P.READ_CUSTOMERS)],
    response_model=list[Member],
    summary="A group's members",
)
def list_members(
    customer_id: str, app: ProvinceApp, fields: MemberFields, paging: PagingQuery
) -> JSONResponse:
    return page_response(app.customers.list_members(customer_id, paging.offset, paging.limit), fields=fields)


@router.get(
    "/customer/{customer_id}/member/{member_id}",
    dependencies=[reading(P.READ_CUSTOMERS)],
    response_model=Member,
    summary="One member of a group",
)
def get_member(customer_id: str, member_id: str, app: ProvinceApp, fields: MemberFields) -> Response:
    return one(app.customers.get_member(customer_id, member_id), fields)


@router.delete("/customer/{customer_id}/member/{member_id}", status_code=204, summary="Remove a member")
def remove_member(
    customer_id: str, member_id: str, app: ProvinceApp, by: Operator = acting(P.WRITE_CUSTOMERS)
) -> Response:
    app.customers.remove_member(customer_id, member_id, by)
    return Response(status_code=204)
