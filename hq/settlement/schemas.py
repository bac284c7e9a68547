"""Request and response shapes of the settlement ledger's API (statements: the shared `SettlementStatement`)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.api.filters import MONTH_SCHEMA
from shared.api.models import Identified, Money, Reference, RequestBody
from shared.domain.billing import MONTH_FORM


class RuleUpdate(RequestBody):
    """The share owed to the delivering province, in percent of the billed line."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"oneTimePercent": 100, "monthlyPercent": 60}]})
    oneTimePercent: int | None = Field(None, ge=0, le=100)
    monthlyPercent: int | None = Field(None, ge=0, le=100)


class StatementRun(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"month": "2026-11"}]})
    month: str = Field(
        max_length=7, json_schema_extra=MONTH_SCHEMA, description=f"The billing month, {MONTH_FORM}."
    )


class SettlementRule(Identified):
    offeringId: str | None = None
    oneTimePercent: int | None = None
    monthlyPercent: int | None = None
    version: int | None = None
    lastUpdate: str | None = None
    changedBy: dict[str, object] | None = None


class SettlementEntry(Identified):
    month: str | None = None
    homeProvince: str | None = None
    deliveringProvince: str | None = None
    customerBill: Reference | None = None
    billLineId: str | None = None
    productOrder: Reference | None = None
    productOffering: Reference | None = None
    chargeKind: str | None = None
    billedAmount: Money | None = None
    sharePercent: int | None = None
    shareAmount: Money | None = None
    rule: dict[str, object] | None = None
    recordedAt: str | None = None
