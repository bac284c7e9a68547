"""Request shapes of the catalog master's API (the response is the shared `ProductOffering`)."""

from __future__ import annotations

import re

from pydantic import ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from shared.api.models import RequestBody
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
