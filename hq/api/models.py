"""Request and response shapes of HQ's API: national customers, the catalog master, settlement, statistics."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from shared.api.models import Identified, Money, Part, Reference, RequestBody, Resource
from shared.domain.catalog import CircuitType, LifecycleStatus, OfferingKind
from shared.domain.values import MAX_FEN, MAX_NAME, MAX_TEXT

FEN = {"ge": 0, "le": MAX_FEN, "description": "Integer fen (分)."}
OFFERING_ID = r"^[A-Za-z0-9][A-Za-z0-9._~-]*$"  # it stands in every href and Location: characters a URL keeps


class OfferingCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "PO-IPTV", "name": "IPTV", "kind": "service", "oneTimeFee": 0, "monthlyFee": 2000}
            ]
        }
    )
    id: str = Field(
        max_length=64,
        json_schema_extra={"pattern": OFFERING_ID},
        description="A code: ASCII letters and digits, then also . _ ~ -, such as PO-IPTV.",
    )
    name: str = Field(max_length=MAX_NAME)
    kind: OfferingKind
    circuitType: CircuitType | None = None
    oneTimeFee: StrictInt = Field(**FEN)
    monthlyFee: StrictInt = Field(**FEN)
    description: str | None = Field(None, max_length=MAX_TEXT)
    bundledOffering: list[str] | None = Field(None, max_length=50, description="A package's offering ids.")
    lifecycleStatus: LifecycleStatus | None = Field(
        None,
        description="TMF620 names it; a new offering starts "
        "inDesign whatever it says, and moves on by PATCH.",
    )

    @field_validator("id")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(OFFERING_ID, value):
            raise PydanticCustomError(
                "offeringId",
                "an offering id is a code: ASCII letters and digits, then also . _ ~ - (such as PO-IPTV)",
            )
        return value


class OfferingPatch(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lifecycleStatus": "released"}]})
    lifecycleStatus: LifecycleStatus | None = None
    oneTimeFee: StrictInt | None = Field(None, **FEN)
    monthlyFee: StrictInt | None = Field(None, **FEN)


class ProvincialCustomer(Part):
    province: str
    id: str
    name: str | None = None
    status: str | None = None
    grade: str | None = None
    customerKind: str | None = None
    industry: str | None = None
    customerManager: dict[str, Any] | None = None
    certificate: dict[str, str] | None = None
    nationalId: str | None = None
    registeredAt: str | None = None


class NationalCustomer(Identified):
    """One customer nationally (deduplicated by certificate), with every province's part."""

    name: str | None = None
    status: str | None = None
    customerKind: str | None = None
    grade: str | None = None
    starLevel: int | None = None
    certificate: dict[str, str] | None = None
    industry: str | None = None
    homeProvince: str | None = None
    provinces: list[str] | None = None
    engagedParty: Reference | None = None
    provincialCustomer: list[ProvincialCustomer] | None = None
    member: list[dict[str, Any]] | None = None


class NationalStatistics(Resource):
    province: str
    month: str
    customersByGrade: dict[str, int] | None = None
    revenueBilled: Money | None = None
    revenuePaid: Money | None = None
    report: dict[str, Any] | None = Field(None, description="The province's published report for the month.")


class SettlementRule(Identified):
    offeringId: str | None = None
    oneTimePercent: int | None = None
    monthlyPercent: int | None = None
    version: int | None = None
    lastUpdate: str | None = None
    changedBy: dict[str, Any] | None = None


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
    rule: dict[str, Any] | None = None
    recordedAt: str | None = None


class StaffMember(Resource):
    username: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    province: str | None = None
    enabled: bool | None = None
