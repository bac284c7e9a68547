"""The settlement statements HQ issued to this province (跨省账单接口, R-21)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from shared.api.common import Paging, crm_app, page_response
from shared.api.security import reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/crm/v1", tags=["settlement"])


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
