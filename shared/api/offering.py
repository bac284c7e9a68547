"""The TMF620 ProductOffering schema of the REST answers; the document itself is the read model's
(`shared.offerings.tmf_offering`), the same at HQ (the master) and in provinces (the copies)."""

from __future__ import annotations

from pydantic import Field

from shared.api.models import Identified, Money, Price, Reference


class ProductOffering(Identified):
    """TMF620 ProductOffering: tariffs as productOfferingPrice in fen; circuit type and fee summaries added."""

    name: str | None = None
    description: str | None = None
    lifecycleStatus: str | None = None
    isBundle: bool | None = None
    isSellable: bool | None = None
    category: list[Reference] | None = None
    productOfferingPrice: list[Price] | None = None
    bundledProductOffering: list[Reference] | None = None
    circuitType: str | None = None
    oneTimeFee: Money | None = None
    monthlyFee: Money | None = None
    catalogSource: str | None = Field(None, description="master (HQ) or the copy a province holds")
