"""Pydantic shapes both tiers' APIs share: the base of every request body and resource, money, references, the
error form. Request bodies refuse unknown fields; resources declare every attribute they carry, all but the
identifying ones optional (a TMF `fields` selection may leave any out)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic.json_schema import JsonDict

from shared.domain.json_types import JSONObject


class RequestBody(BaseModel):
    """A request body: an unknown field is a 400 naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def as_command(self) -> JSONObject:
        """What the client sent, as the application layer takes it (plain JSON, wire names)."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Part(BaseModel):
    """A nested part of a document; TMF parts may carry more than we name."""

    model_config = ConfigDict(populate_by_name=True)


class Resource(BaseModel):
    """A document the API answers with; every attribute it may carry is declared."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Identified(Resource):
    id: str
    href: str | None = None
    at_type: str | None = Field(None, alias="@type")


class Money(Part):
    """An amount of integer fen (分)."""

    unit: str = Field("fen", examples=["fen"])
    value: int


class Price(Part):
    """A TMF price: `price.taxIncludedAmount` in fen."""

    name: str | None = None
    priceType: str | None = None
    recurringChargePeriod: str | None = None
    price: dict[str, Money] | None = None


class MoneyInput(RequestBody):
    unit: str = Field("fen", max_length=8)
    value: StrictInt


class Reference(Part):
    id: str
    href: str | None = None
    name: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class ReferenceInput(RequestBody):
    id: str = Field(max_length=64)
    href: str | None = Field(None, max_length=512)
    name: str | None = Field(None, max_length=128)
    referred_type: str | None = Field(None, alias="@referredType", max_length=64)


class RelatedParty(Reference):
    role: str | None = None


class PartyReference(Part):
    id: str
    name: str | None = None


class CustomerSummary(RelatedParty):
    """A customer as a work list names it: as the customer list shows it (phone masked), with its manager."""

    phoneNumber: str | None = None
    customerManager: PartyReference | None = None


class RelatedPartyInput(ReferenceInput):
    role: str | None = Field(None, max_length=64)


class Callback(RequestBody):
    """The callback (回访) after an order completed or a ticket was resolved."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"result": "satisfied", "satisfied": True}]})
    result: str | None = Field(None, max_length=2000)
    satisfied: StrictBool | None = None


class Error(BaseModel):
    """Every 4xx (and a 5xx, if ever): what went wrong and which field; some errors add details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"code": "invalidValue", "reason": "unknown field 'nmae'", "field": "nmae"}]
        },
    )
    code: str
    reason: str
    field: str | None = None
    currentState: str | None = Field(None, description="A refused transition: the state the resource is in.")
    existingId: str | None = Field(None, description="A duplicate: the resource already recorded.")
    existingHref: str | None = None
    homeProvince: str | None = Field(None, description="Read-only here: the province that owns the resource.")
    stillOpen: dict[str, list[dict[str, Any]]] | None = Field(
        None,
        description="Closing a customer refused: what is still open, by kind (openOrders, activeProducts, "
        "unbilledCharges, unpaidBills).",
    )
    requestId: str | None = Field(None, description="A 5xx: the id the node's log carries too.")


class Counterpart(Part):
    province: str
    receivable: Money
    payable: Money
    net: Money


class SettlementStatement(Resource):
    """A province's month of settlement (R-21): what it is owed and owes, per counterpart province."""

    id: str | None = None
    href: str | None = None
    at_type: str | None = Field(None, alias="@type")
    province: str | None = None
    month: str | None = None
    receivable: Money | None = None
    payable: Money | None = None
    net: Money | None = None
    counterpart: list[Counterpart] | None = None
    entries: int | None = None
    issued: bool | None = Field(None, description="HQ: whether the province was sent exactly this.")
    issuedAt: str | None = None
    revision: int | None = None


def set_when_given(schema: JsonDict) -> None:
    """The schema of a merge-patch field that can be changed but not removed: no null offered, no default (an
    absent field is left as it is). Its model refuses an explicit null itself."""
    schema.pop("default", None)
    choices = schema.pop("anyOf", None)
    if isinstance(choices, list):
        (kept,) = [c for c in choices if isinstance(c, dict) and c != {"type": "null"}]
        schema.update(kept)
