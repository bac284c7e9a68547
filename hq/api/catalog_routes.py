"""TMF620 Product Catalog at HQ: the catalog master (R-11, R-12); provinces hold read-only copies.

Mounted by hq/api/app.py as `include_router(catalog_routes.router)`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from shared.api.common import Paging, crm_app, idempotent_create, page_response
from shared.domain.catalog import LifecycleStatus, OfferingKind
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/tmf-api/productCatalogManagement/v4", tags=["productOffering (master)"])


@router.post("/productOffering", status_code=201, summary="Design a product or package (starts inDesign)")
def create_offering(
    body: dict[str, Any] = Body(..., examples=[{"id": "PO-IPTV", "name": "IPTV", "kind": "service",
                                                "oneTimeFee": 0, "monthlyFee": 2000}]),
    by: dict[str, str] = acting(P.MANAGE_CATALOG),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128),
    app: Any = Depends(crm_app),
) -> Response:
    return idempotent_create(app, idempotency_key, body, lambda key: app.create_product(body, by, key))


@router.patch("/productOffering/{offering_id}", summary="Move through the lifecycle or change the tariff",
              description="Body: {lifecycleStatus} one step forward (inDesign → inDevelopment → tariffApproval → "
              "released → retired) and/or {oneTimeFee, monthlyFee} in fen, before release only.")
def patch_offering(
    offering_id: str,
    body: dict[str, Any] = Body(..., examples=[{"lifecycleStatus": "released"}]),
    by: dict[str, str] = acting(P.MANAGE_CATALOG),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.change_product(offering_id, body, by)


@router.get("/productOffering", dependencies=[reading(P.READ_CATALOG)], summary="The catalog master")
def list_offerings(
    paging: Paging = Depends(),
    lifecycle_status: LifecycleStatus | None = Query(None, alias="lifecycleStatus"),
    kind: OfferingKind | None = Query(None, alias="category.id", description="basic, spcp, service, package"),
    name: str | None = Query(None, max_length=128),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_offerings(lifecycle_status=lifecycle_status.value if lifecycle_status else None,
                                            kind=kind.value if kind else None, name=name,
                                            offset=paging.offset, limit=paging.limit))


@router.get("/productOffering/{offering_id}", dependencies=[reading(P.READ_CATALOG)], summary="One product or package")
def get_offering(offering_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_offering(offering_id)
