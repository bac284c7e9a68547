"""TMF620 Product Catalog at HQ: the catalog master (R-11, R-12); provinces hold read-only copies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from hq.catalog.schemas import OfferingCreate, OfferingPatch
from shared.api.common import IdempotencyHeader, PagingQuery, idempotent_create, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.offering import ProductOffering
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.catalog import LifecycleStatus, OfferingKind
from shared.domain.operator import Operator

router = APIRouter(prefix="/tmf-api/productCatalogManagement/v4", tags=["productOffering (master)"])
OfferingFields = Annotated[Selection, selectable(ProductOffering)]


@router.post(
    "/productOffering",
    status_code=201,
    response_model=ProductOffering,
    summary="Design a product or package (starts inDesign)",
)
def create_offering(
    body: OfferingCreate,
    app: HqApp,
    idempotency_key: IdempotencyHeader = None,
    by: Operator = acting(P.MANAGE_CATALOG),
) -> Response:
    return idempotent_create(
        app, idempotency_key, body.as_command(), lambda key: app.catalog.create_product(body, by, key)
    )


@router.patch(
    "/productOffering/{offering_id}",
    response_model=ProductOffering,
    summary="Move through the lifecycle or change the tariff",
    description="Body: {lifecycleStatus} one step forward (inDesign → inDevelopment → tariffApproval → "
    "released → retired) and/or {oneTimeFee, monthlyFee} in fen, before release only.",
)
def patch_offering(
    offering_id: str, body: OfferingPatch, app: HqApp, by: Operator = acting(P.MANAGE_CATALOG)
) -> Response:
    return one(app.catalog.change_product(offering_id, body, by))


@router.get(
    "/productOffering",
    dependencies=[reading(P.READ_CATALOG)],
    response_model=list[ProductOffering],
    summary="The catalog master",
)
def list_offerings(
    app: HqApp,
    fields: OfferingFields,
    paging: PagingQuery,
    lifecycle_status: LifecycleStatus | None = Query(None, alias="lifecycleStatus"),
    kind: OfferingKind | None = Query(None, alias="category.id", description="basic, spcp, service, package"),
    name: str | None = Query(None, max_length=128),
) -> JSONResponse:
    return page_response(
        app.catalog.offerings.list_offerings(
            lifecycle_status=lifecycle_status.value if lifecycle_status else None,
            kind=kind.value if kind else None,
            name=name,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@router.get(
    "/productOffering/{offering_id}",
    dependencies=[reading(P.READ_CATALOG)],
    response_model=ProductOffering,
    summary="One product or package",
)
def get_offering(offering_id: str, app: HqApp, fields: OfferingFields) -> Response:
    return one(app.catalog.offerings.get_offering(offering_id), fields)
