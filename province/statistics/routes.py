"""The monthly statistics report a province sends to HQ (统计报表, R-27)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from province.api.deps import ProvinceApp
from province.statistics.schemas import ReportRun, StatisticsReport
from shared.api.common import one
from shared.api.contract import Selection, selectable
from shared.api.filters import month_path
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator

router = APIRouter(prefix="/crm/v1", tags=["statistics"])


@router.post(
    "/statisticsReport",
    status_code=201,
    response_model=StatisticsReport,
    summary="Publish (or refresh) a month's statistics report for HQ",
)
def publish(body: ReportRun, app: ProvinceApp, by: Operator = acting(P.PUBLISH_STATISTICS)) -> Response:
    return one(app.statistics.publish_monthly_report(body.month, by), status=201)


@router.get(
    "/statisticsReport/{month}",
    dependencies=[reading(P.READ_ORDERS)],
    response_model=StatisticsReport,
    summary="This month's figures as they stand (not yet published)",
)
def preview(
    app: ProvinceApp, fields: Annotated[Selection, selectable(StatisticsReport)], month: str = month_path()
) -> Response:
    return one(
        {
            "province": app.settings.node_code,
            "month": month,
            "figures": app.statistics.monthly_figures(month),
        },
        fields,
    )
