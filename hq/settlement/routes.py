"""HQ's settlement ledger (R-21): rules, ledger entries, monthly statements per province."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from hq.settlement.schemas import RuleUpdate, SettlementEntry, SettlementRule, StatementRun
from shared.api.common import MaskedJSONResponse, PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import month_query, province_query
from shared.api.models import SettlementStatement
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator

router = APIRouter(prefix="/crm/v1", tags=["settlement"])


RuleFields = Annotated[Selection, selectable(SettlementRule)]
EntryFields = Annotated[Selection, selectable(SettlementEntry)]
StatementFields = Annotated[Selection, selectable(SettlementStatement)]


@router.get(
    "/settlementRule",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=list[SettlementRule],
    summary="Settlement rules: the default, and any per offering",
)
def list_rules(app: HqApp, fields: RuleFields, paging: PagingQuery) -> JSONResponse:
    return page_response(app.settlement.list_settlement_rules(paging.offset, paging.limit), fields=fields)


@router.get(
    "/settlementRule/{offering_id}",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=SettlementRule,
    summary="One rule ('default' for the default)",
)
def get_rule(offering_id: str, app: HqApp, fields: RuleFields) -> Response:
    return one(app.settlement.get_settlement_rule(offering_id), fields)


@router.put(
    "/settlementRule/{offering_id}",
    response_model=SettlementRule,
    summary="Set the rule for an offering, or the default ('default')",
    description="Lines billed from then on are apportioned by it; entries already recorded keep the rule "
    "(and version) they were made under.",
)
def put_rule(
    offering_id: str, body: RuleUpdate, app: HqApp, by: Operator = acting(P.MANAGE_SETTLEMENT)
) -> Response:
    return one(app.settlement.set_settlement_rule(offering_id, body, by))


@router.get(
    "/settlementEntry",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=list[SettlementEntry],
    summary="The ledger: one entry per billed line another province delivered",
)
def list_entries(
    app: HqApp,
    fields: EntryFields,
    paging: PagingQuery,
    month: str | None = month_query("The billing month of the lines."),
    home_province: str | None = province_query("The province that billed the line.", alias="homeProvince"),
    delivering_province: str | None = province_query(
        "The province that delivered it.", alias="deliveringProvince"
    ),
) -> JSONResponse:
    return page_response(
        app.settlement.list_settlement_entries(
            month=month,
            home=home_province,
            delivering=delivering_province,
            offset=paging.offset,
            limit=paging.limit,
        ),
        fields=fields,
    )


@router.get(
    "/settlementStatement",
    dependencies=[reading(P.READ_SETTLEMENT)],
    response_model=list[SettlementStatement],
    summary="Each province's statement for a month as the ledger stands",
    description="Per province: receivable (for what it delivered), payable (for what others delivered to its "
    "customers) per counterpart; `issued` tells whether the province has been sent exactly this.",
)
def statements(app: HqApp, fields: StatementFields, month: str = month_query(required=True)) -> JSONResponse:
    return MaskedJSONResponse(fields.apply_all(app.settlement.settlement_statements(month)))


@router.post(
    "/settlementStatement",
    status_code=201,
    response_model=list[SettlementStatement],
    summary="Issue a month's statements to the provinces",
    description="Each province receives its own statement on the cross-province bill channel; issuing "
    "again after more lines were billed sends a new revision.",
)
def issue(body: StatementRun, app: HqApp, by: Operator = acting(P.MANAGE_SETTLEMENT)) -> JSONResponse:
    return MaskedJSONResponse(app.settlement.issue_statements(body.month, by), status_code=201)
