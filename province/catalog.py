"""The province's read-only copy of the product catalog (R-11, R-12): shipped default until HQ's arrives."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import StoredEvent

from shared.domain.catalog import CatalogEntry, OfferingTerms, parse_offering, terms_of
from shared.domain.errors import InvalidValue
from shared.domain.operator import SYSTEM
from shared.offerings import OFFERING_TABLE, OfferingQueries, offering_row
from shared.persistence.queries import Filter
from shared.persistence.readmodel import Operation

TABLES = (OFFERING_TABLE,)


def project_entry(entry: CatalogEntry) -> list[Operation]:
    return [offering_row(entry.offering, entry.source)]


PROJECTORS = {CatalogEntry: project_entry}


class CatalogCommands(OfferingQueries):
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

    def apply_hq_catalog(self, upstream: str, records: list[Any], last_hash: bytes) -> None:
        """HQ's catalog events replace the local copy; HQ's catalog supersedes the shipped default (R-11)."""
        entries: dict[str, CatalogEntry] = {}
        replacing_default = self.queries.page("product_offering", [Filter("source = ?", ("HQ",))], limit=1).total == 0
        for record in records:
            change = self.mapper.to_domain_event(
                StoredEvent(originator_id=UUID(record.originator_id), originator_version=record.originator_version,
                            topic=record.topic, state=record.state)
            )
            offering = change.offering
            entry = entries.get(offering["id"]) or self._catalog_entry(offering["id"])
            if entry is None:
                entry = CatalogEntry(offering["id"], offering, "HQ", change.by)
            else:
                entry.replace(offering, "HQ", change.by)
            entries[offering["id"]] = entry
        if replacing_default:
            for row in self.queries.rows("SELECT id FROM {product_offering} WHERE source = ?", ["default"]):
                if row["id"] not in entries:
                    entry = self._catalog_entry(row["id"])
                    entry.replace({**entry.offering, "lifecycleStatus": "retired"}, "default", SYSTEM.as_dict())
                    entries[row["id"]] = entry
        last = records[-1]
        self.record_replicated(upstream, last.position, last_hash, last.recorded_at, *entries.values())

    def _catalog_entry(self, offering_id: str) -> CatalogEntry | None:
        try:
            return self.repository.get(CatalogEntry.create_id(offering_id))
        except AggregateNotFoundError:
            return None

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
