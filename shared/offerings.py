"""The product-offering read model both tiers keep: HQ's master and each province's copy."""

from __future__ import annotations

from typing import Any

from shared.api.offering import tmf_offering
from shared.domain.json_types import JSONObject
from shared.persistence.queries import Filter, Page, equal
from shared.persistence.readmodel import Table, Upsert

OFFERING_TABLE = Table(
    "product_offering",
    (("lifecycle_status", "TEXT"), ("kind", "TEXT"), ("name", "TEXT"), ("source", "TEXT")),
    indexes=("lifecycle_status",),
)


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
    """Mixed into an application whose schema has OFFERING_TABLE."""

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
        return self.queries.page("product_offering", filters, offset=offset, limit=limit)  # type: ignore[attr-defined]

    def get_offering(self, offering_id: str) -> dict[str, Any]:
        return self.document("product_offering", offering_id, "offering")  # type: ignore[attr-defined]
