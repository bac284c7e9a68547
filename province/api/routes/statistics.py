"""The monthly statistics report a province sends to HQ (统计报表, R-27)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from shared.api.common import Paging, crm_app, page_response
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/crm/v1", tags=["statistics"])


@router.post("/statisticsReport", status_code=201, summary="Publish (or refresh) a month's statistics report for HQ")
def publish(
    body: dict[str, Any] = Body(..., examples=[{"month": "2026-11"}]),
    by: dict[str, str] = acting(P.PUBLISH_STATISTICS),
    app: Any = Depends(crm_app),
) -> dict[str, Any]:
    return app.publish_monthly_report(body.get("month"), by)


@router.get("/statisticsReport/{month}", dependencies=[reading(P.READ_ORDERS)], summary="This month's figures as they stand (not yet published)")
def preview(month: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    from shared.domain.billing import parse_cycle

    return {"province": app.settings.node_code, "month": month, "figures": app.monthly_figures(parse_cycle(month, "month"))}


@router.get("/settlementStatement", dependencies=[reading(P.READ_SETTLEMENT)], summary="This province's settlement statements as HQ issued them (R-21)")
def list_statements(
    paging: Paging = Depends(),
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_statements(month, paging.offset, paging.limit))


@router.get("/settlementStatement/{statement_id}", dependencies=[reading(P.READ_SETTLEMENT)], summary="One settlement statement")
def get_statement(statement_id: str, app: Any = Depends(crm_app)) -> dict[str, Any]:
    return app.get_statement(statement_id)
