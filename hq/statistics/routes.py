"""HQ's national statistics per province and month (R-26, R-27)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from hq.statistics.schemas import NationalStatistics
from shared.api.common import MaskedJSONResponse
from shared.api.contract import Selection, selectable
from shared.api.filters import month_query, province_query
from shared.api.security import reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/crm/v1", tags=["national statistics"])


@router.get(
    "/statistics",
    dependencies=[reading(P.READ_NATIONAL)],
    response_model=list[NationalStatistics],
    summary="Per province and month: customers by grade, revenue, reported totals",
)
def national_statistics(
    app: HqApp,
    fields: Annotated[Selection, selectable(NationalStatistics)],
    month: str | None = month_query(),
    province: str | None = province_query("The reporting province."),
) -> JSONResponse:
    return MaskedJSONResponse(fields.apply_all(app.statistics.national_statistics(month, province)))
