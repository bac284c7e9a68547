"""Request shapes of the catalog master's API (the response is the shared `ProductOffering`)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import ConfigDict, Field, StrictInt, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.api.models import RequestBody, set_when_given
from shared.domain.catalog import CircuitType, LifecycleStatus, OfferingKind
from shared.domain.values import MAX_FEN, MAX_NAME, MAX_TEXT

Fen = Annotated[StrictInt, Field(ge=0, le=MAX_FEN, description="Integer fen (分).")]
FEE_KEPT = "a fee is an integer amount in fen (0 for none)"
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
    oneTimeFee: Fen
    monthlyFee: Fen
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


# A merge patch: each field it names is set, and none may be null (the schema offers none): a tariff always has
# its fees and an offering its status. An absent field is None here.
class OfferingPatch(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lifecycleStatus": "released"}]})
    lifecycleStatus: LifecycleStatus | None = Field(None, json_schema_extra=set_when_given)
    oneTimeFee: Fen | None = Field(None, json_schema_extra=set_when_given)
    monthlyFee: Fen | None = Field(None, json_schema_extra=set_when_given)

    @field_validator("lifecycleStatus", "oneTimeFee", "monthlyFee")
    @classmethod
    def _not_removed(cls, value: object, info: ValidationInfo) -> object:
        """A merge patch's null removes a field (RFC 7396): none of these can go."""
        if value is None:
            why = "an offering always has one" if info.field_name == "lifecycleStatus" else FEE_KEPT
            raise PydanticCustomError("notRemovable", "cannot be removed: {why}", {"why": why})
        return value
