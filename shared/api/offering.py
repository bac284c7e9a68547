"""The TMF620 ProductOffering document, the same at HQ (the master) and in provinces (the copies)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.api.models import Identified, Money, Price, Reference

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
PRICE_TYPES = (("oneTime", "oneTimeFee", None), ("recurring", "monthlyFee", "month"))


def tmf_offering(o: dict[str, Any], source: str) -> dict[str, Any]:
    """Tariffs as productOfferingPrice in fen; our circuit type and fee summaries as extensions."""
    prices = [
        {
            "name": f"{o['name']} {price_type}",
            "priceType": price_type,
            **({"recurringChargePeriod": period} if period else {}),
            "price": {"taxIncludedAmount": {"unit": "fen", "value": o[field]}},
        }
        for price_type, field, period in PRICE_TYPES
    ]
    doc: dict[str, Any] = {
        "id": o["id"],
        "href": f"{BASE}/{o['id']}",
        "@type": "ProductOffering",
        "name": o["name"],
        "description": o.get("description") or None,
        "lifecycleStatus": o["lifecycleStatus"],
        "isBundle": o["kind"] == "package",
        "isSellable": o["lifecycleStatus"] == "released",
        "category": [{"id": o["kind"], "name": o["kind"]}],
        "productOfferingPrice": prices,
        "bundledProductOffering": [{"id": b, "href": f"{BASE}/{b}"} for b in o.get("bundledOffering", [])],
        "circuitType": o.get("circuitType"),
        "oneTimeFee": {"unit": "fen", "value": o["oneTimeFee"]},
        "monthlyFee": {"unit": "fen", "value": o["monthlyFee"]},
        "catalogSource": source,
    }
    return {k: v for k, v in doc.items() if v is not None}


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
