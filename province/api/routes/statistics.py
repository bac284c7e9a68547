"""The monthly statistics report a province sends to HQ (统计报表, R-27)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from shared.api.common import crm_app
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

