"""The settlement statements HQ issued to this province (跨省账单接口, R-21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from province.api.deps import ProvinceApp
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import month_query
from shared.api.models import SettlementStatement
from shared.api.security import reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/crm/v1", tags=["settlement"])
StatementFields = Annotated[Selection, selectable(SettlementStatement)]


@router.get(
    "/settlementStatement",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=list[SettlementStatement],
    summary="This province's settlement statements as HQ issued them (R-21)",
)
def list_statements(
    app: ProvinceApp,
    fields: StatementFields,
    paging: PagingQuery,
    month: str | None = month_query("The month settled."),
) -> JSONResponse:
    return page_response(app.settlement.list_statements(month, paging.offset, paging.limit), fields=fields)


@router.get(
    "/settlementStatement/{statement_id}",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=SettlementStatement,
    summary="One settlement statement",
)
def get_statement(statement_id: str, app: ProvinceApp, fields: StatementFields) -> Response:
    return one(app.settlement.get_statement(statement_id), fields)
