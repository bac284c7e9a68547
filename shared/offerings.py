"""The product-offering read model both tiers keep: HQ's master and each province's copy."""

from __future__ import annotations

from typing import Any

from shared.application import CrmApplication
from shared.domain.json_types import JSON, JSONObject
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Table, Upsert

OFFERING_TABLE = Table(
    "product_offering",
    (("lifecycle_status", "TEXT"), ("kind", "TEXT"), ("name", "TEXT"), ("source", "TEXT")),
    indexes=("lifecycle_status",),
)

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
PRICE_TYPES = (("oneTime", "oneTimeFee", None), ("recurring", "monthlyFee", "month"))


def tmf_offering(o: dict[str, Any], source: str) -> JSONObject:
    """Tariffs as productOfferingPrice in fen; our circuit type and fee summaries as extensions."""
    prices: list[JSON] = [
        {
            "name": f"{o['name']} {price_type}",
            "priceType": price_type,
            **({"recurringChargePeriod": period} if period else {}),
            "price": {"taxIncludedAmount": {"unit": "fen", "value": o[field]}},
        }
        for price_type, field, period in PRICE_TYPES
    ]
    doc: JSONObject = {
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


def offering_row(offering: JSONObject, source: str) -> Upsert:
    return Upsert(
        "product_offering",
        {
            "id": offering["id"],
            "lifecycle_status": offering["lifecycleStatus"],
            "kind": offering["kind"],
            "name": offering["name"],
            "source": source,
            "doc": tmf_offering(offering, source),
        },
    )


class OfferingQueries:
    """The offering queries of a node whose schema has OFFERING_TABLE: composed by HQ's catalog
    (`OfferingQueries(store)`); a province's catalog still inherits them and sets `store` itself."""

    store: CrmApplication

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def list_offerings(
        self,
        *,
        lifecycle_status: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(("lifecycle_status", lifecycle_status), ("kind", kind))
        if name:
            filters.append(Filter("name LIKE ?", (f"%{name}%",)))
        return self.store.queries.page("product_offering", filters, offset=offset, limit=limit)

    def get_offering(self, offering_id: str) -> JSONObject:
        return self.store.document("product_offering", offering_id, "offering")
