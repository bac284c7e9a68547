"""The province's read-only copy of the product catalog (R-11, R-12): shipped default until HQ's arrives."""

from __future__ import annotations

import json
from typing import Any

from shared.domain.catalog import CatalogEntry, OfferingTerms, parse_offering, terms_of
from shared.domain.errors import InvalidValue, NotFound
from shared.domain.operator import SYSTEM
from shared.persistence.queries import Filter, Page
from shared.persistence.readmodel import Operation, Table, Upsert

BASE = "/tmf-api/productCatalogManagement/v4/productOffering"
PRICE_TYPES = (("oneTime", "oneTimeFee", None), ("recurring", "monthlyFee", "month"))

TABLES = (
    Table(
        "product_offering",
        (("lifecycle_status", "TEXT"), ("kind", "TEXT"), ("name", "TEXT"), ("source", "TEXT")),
        indexes=("lifecycle_status",),
    ),
)


def offering_document(entry: CatalogEntry) -> dict[str, Any]:
    """TMF620 ProductOffering with tariffs as productOfferingPrice in fen."""
    o = entry.offering
    href = f"{BASE}/{o['id']}"
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
        "href": href,
        "@type": "ProductOffering",
        "name": o["name"],
        "description": o.get("description") or None,
        "lifecycleStatus": o["lifecycleStatus"],
        "isBundle": o["kind"] == "package",
        "isSellable": o["lifecycleStatus"] == "released",
        "category": [{"id": o["kind"], "name": o["kind"]}],
        "productOfferingPrice": prices,
        "bundledProductOffering": [
            {"id": b, "href": f"{BASE}/{b}"} for b in o.get("bundledOffering", [])
        ],
        "circuitType": o.get("circuitType"),
        "oneTimeFee": {"unit": "fen", "value": o["oneTimeFee"]},
        "monthlyFee": {"unit": "fen", "value": o["monthlyFee"]},
        "catalogSource": entry.source,
    }
    return {k: v for k, v in doc.items() if v is not None}


def project_entry(entry: CatalogEntry) -> list[Operation]:
    o = entry.offering
    return [
        Upsert(
            "product_offering",
            {
                "id": o["id"],
                "lifecycle_status": o["lifecycleStatus"],
                "kind": o["kind"],
                "name": o["name"],
                "source": entry.source,
                "doc": offering_document(entry),
            },
        )
    ]


PROJECTORS = {CatalogEntry: project_entry}


class CatalogCommands:
    """Mixed into the province application. Provinces never create or change offerings."""

    def on_start(self) -> None:
        if self.queries.page("product_offering", limit=1).total == 0:
            self.load_default_catalog()

    def load_default_catalog(self) -> int:
        document = json.loads(self.settings.catalog_file.read_text(encoding="utf-8"))
        entries = []
        for raw in document["offerings"]:
            offering = parse_offering(raw)
            entries.append(CatalogEntry(offering["id"], offering, "default", SYSTEM.as_dict()))
        self.record(*entries)
        return len(entries)

    def orderable_offering(self, offering_id: object, field: str) -> OfferingTerms:
        """The terms of a released offering; unknown or not released is a 400 naming the field."""
        if not isinstance(offering_id, str) or not offering_id:
            raise InvalidValue("is required: the id of a catalog offering", field=field)
        doc = self.queries.get("product_offering", offering_id)
        if doc is None:
            raise InvalidValue(f"no offering '{offering_id}' in the catalog", field=field)
        terms = terms_of(
            {
                "id": doc["id"],
                "name": doc["name"],
                "kind": doc["category"][0]["id"],
                "lifecycleStatus": doc["lifecycleStatus"],
                "oneTimeFee": doc["oneTimeFee"]["value"],
                "monthlyFee": doc["monthlyFee"]["value"],
                "circuitType": doc.get("circuitType"),
            }
        )
        if not terms.orderable:
            raise InvalidValue(
                f"offering '{offering_id}' is {terms.lifecycle_status}; only released offerings can be ordered",
                field=field,
                lifecycle_status=terms.lifecycle_status,
            )
        return terms

    def list_offerings(
        self,
        *,
        lifecycle_status: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = [
            Filter(f"{column} = ?", (value,))
            for column, value in (("lifecycle_status", lifecycle_status), ("kind", kind))
            if value is not None
        ]
        if name:
            filters.append(Filter("name LIKE ?", (f"%{name}%",)))
        return self.queries.page("product_offering", filters, offset=offset, limit=limit)

    def get_offering(self, offering_id: str) -> dict[str, Any]:
        doc = self.queries.get("product_offering", offering_id)
        if doc is None:
            raise NotFound(f"no offering '{offering_id}'", field="id")
        return doc
