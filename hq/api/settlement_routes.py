"""HQ's settlement ledger (R-21): rules, ledger entries, monthly statements per province."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hq.api.deps import HqApp
from shared.api.common import Paging, page_response
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/crm/v1", tags=["settlement"])

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
PROVINCE = {"min_length": 2, "max_length": 2, "pattern": "^[A-Za-z]{2}$"}


class RuleUpdate(BaseModel):
    """The share owed to the delivering province, in percent of the billed line."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"oneTimePercent": 100,
                                                                              "monthlyPercent": 60}]})
    oneTimePercent: int | None = Field(None, ge=0, le=100)
    monthlyPercent: int | None = Field(None, ge=0, le=100)


class StatementRun(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"month": "2026-11"}]})
    month: str = Field(pattern=MONTH, description="The billing month, YYYY-MM.")


@router.get("/settlementRule", dependencies=[reading(P.READ_SETTLEMENT)], summary="Settlement rules: the default, and any per offering")
def list_rules(app: HqApp, paging: Paging = Depends()) -> JSONResponse:
    return page_response(app.list_settlement_rules(paging.offset, paging.limit))


@router.get("/settlementRule/{offering_id}", dependencies=[reading(P.READ_SETTLEMENT)], summary="One rule ('default' for the default)")
def get_rule(offering_id: str, app: HqApp) -> dict[str, Any]:
    return app.get_settlement_rule(offering_id)


@router.put("/settlementRule/{offering_id}", summary="Set the rule for an offering, or the default ('default')",
            description="Lines billed from then on are apportioned by it; entries already recorded keep the rule "
            "(and version) they were made under.")
def put_rule(offering_id: str, body: RuleUpdate, app: HqApp,
             by: dict[str, str] = acting(P.MANAGE_SETTLEMENT)) -> dict[str, Any]:
    return app.set_settlement_rule(offering_id, body.model_dump(exclude_none=True), by)


@router.get("/settlementEntry", dependencies=[reading(P.READ_SETTLEMENT)], summary="The ledger: one entry per billed line another province delivered")
def list_entries(
    app: HqApp,
    paging: Paging = Depends(),
    month: str | None = Query(None, pattern=MONTH),
    home_province: str | None = Query(None, alias="homeProvince", **PROVINCE),
    delivering_province: str | None = Query(None, alias="deliveringProvince", **PROVINCE),
) -> JSONResponse:
    return page_response(app.list_settlement_entries(
        month=month, home=home_province.upper() if home_province else None,
        delivering=delivering_province.upper() if delivering_province else None,
        offset=paging.offset, limit=paging.limit))


@router.get("/settlementStatement", dependencies=[reading(P.READ_SETTLEMENT)], summary="Each province's statement for a month as the ledger stands",
            description="Per province: receivable (for what it delivered), payable (for what others delivered to its "
            "customers) per counterpart; `issued` tells whether the province has been sent exactly this.")
def statements(app: HqApp, month: str = Query(..., pattern=MONTH)) -> list[dict[str, Any]]:
    return app.settlement_statements(month)


@router.post("/settlementStatement", status_code=201, summary="Issue a month's statements to the provinces",
             description="Each province receives its own statement on the cross-province bill channel; issuing "
             "again after more lines were billed sends a new revision.")
def issue(body: StatementRun, app: HqApp, by: dict[str, str] = acting(P.MANAGE_SETTLEMENT)) -> list[dict[str, Any]]:
    return app.issue_statements(body.month, by)
