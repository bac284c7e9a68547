"""TMF620 Product Catalog: the province's read-only copy (HQ owns the catalog, R-11)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.errors import error_body
from shared.api.offering import ProductOffering
from shared.api.security import reading
from shared.auth.roles import Permission as P
from shared.domain.catalog import LifecycleStatus, OfferingKind

router = APIRouter(prefix="/tmf-api/productCatalogManagement/v4", tags=["productOffering"])
OfferingFields = Annotated[Selection, selectable(ProductOffering)]


@router.get(
    "/productOffering",
    dependencies=[reading(P.READ_CATALOG)],
    response_model=list[ProductOffering],
    summary="List catalog offerings",
)
def list_offerings(
    app: ProvinceApp,
    fields: OfferingFields,
    paging: PagingQuery,
    lifecycle_status: LifecycleStatus | None = Query(None, alias="lifecycleStatus"),
    kind: OfferingKind | None = Query(None, alias="category.id", description="basic, spcp, service, package"),
    name: str | None = Query(None, max_length=128),
) -> JSONResponse:
    page = app.catalog.list_offerings(
        lifecycle_status=lifecycle_status.value if lifecycle_status else None,
        kind=kind.value if kind else None,
        name=name,
        offset=paging.offset,
        limit=paging.limit,
    )
    return page_response(page, fields=fields)


@router.get(
    "/productOffering/{offering_id}",
    dependencies=[reading(P.READ_CATALOG)],
    response_model=ProductOffering,
    summary="One offering",
)
def get_offering(offering_id: str, app: ProvinceApp, fields: OfferingFields) -> Response:
    return one(app.catalog.get_offering(offering_id), fields)


def _read_only() -> JSONResponse:
    return JSONResponse(
        error_body(
            "catalogReadOnly",
            "the product catalog is owned by HQ; a province node holds a read-only copy",
            "productOffering",
        ),
        status_code=405,
        headers={"Allow": "GET"},
    )


@router.post(
    "/productOffering",
    dependencies=[reading(P.READ_CATALOG)],
    status_code=405,
    summary="Refused: HQ owns the catalog",
)
def create_offering() -> JSONResponse:
    return _read_only()


@router.patch(
    "/productOffering/{offering_id}",
    dependencies=[reading(P.READ_CATALOG)],
    status_code=405,
    summary="Refused: HQ owns the catalog",
)
def patch_offering(offering_id: str) -> JSONResponse:
    return _read_only()


@router.delete(
    "/productOffering/{offering_id}",
    dependencies=[reading(P.READ_CATALOG)],
    status_code=405,
    summary="Refused: HQ owns the catalog",
)
def delete_offering(offering_id: str) -> JSONResponse:
    return _read_only()
